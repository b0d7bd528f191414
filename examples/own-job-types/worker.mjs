import { createWorker, defineJobType, sleep, workerOptionsFromEnv, z } from '@jobcast/worker';

const thumbnails = defineJobType({
  name: 'acme.thumbnails',
  description: 'Renders thumbnails of an image at several widths.',
  payload: z.strictObject({
    url: z.url(),
    widths: z.array(z.number().int().min(16).max(4096)).min(1).max(10),
    quality: z.number().int().min(1).max(100).default(80),
  }),
  attempts: 3, // a submit's `attempts` overrides it
  backoffMs: 1000, // first retry delay; doubles each time
  timeoutMs: 60_000, // or (payload) => a timeout for this payload
  async run({ payload, progress, log, signal, attempt }) {
    log('info', `attempt ${attempt}: rendering ${payload.widths.length} thumbnails of ${payload.url}`);
    const rendered = [];
    for (const [index, width] of payload.widths.entries()) {
      await sleep(100, signal); // stands in for the real work; rejects at once on cancel, timeout or shutdown
      rendered.push({ width, url: `${payload.url}?w=${width}&q=${payload.quality}` });
      progress({ current: index + 1, total: payload.widths.length }, { stage: 'resizing', message: `${width}px` });
    }
    return { thumbnails: rendered }; // the result, in `completed {result}` and the job's snapshot
  },
});

// REDIS_URL, WORKER_CONCURRENCY and the rest of the README's worker variables, then our job types.
const worker = await createWorker({ ...workerOptionsFromEnv(), jobTypes: [thumbnails] });
console.log(`worker ${worker.id} runs ${thumbnails.name}`);
