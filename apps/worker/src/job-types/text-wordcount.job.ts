import { defineJobType, yieldToEventLoop, z } from '@jobcast/worker';

const VOCABULARY = [
  'job',
  'event',
  'stream',
  'progress',
  'socket',
  'redis',
  'worker',
  'gateway',
  'watch',
  'queue',
  'retry',
  'cancel',
  'snapshot',
  'seq',
  'log',
  'client',
  'server',
  'fast',
  'order',
  'resume',
];

/** A small linear congruential generator: the same seed always writes the same text. */
function* words(count: number, seed: number): Generator<string> {
  let state = seed >>> 0;
  for (let i = 0; i < count; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Skew the distribution so the ranking stage has something to rank.
    const index = Math.floor((state / 2 ** 32) ** 2 * VOCABULARY.length);
    yield VOCABULARY[index] as string;
  }
}

/** Streams progress stage by stage: writing a large text, counting its words, ranking them. */
export const textWordCountJob = defineJobType({
  name: 'text.wordcount',
  description: 'Generates `words` words of text from `seed`, counts them in batches and ranks the top ones.',
  payload: z.strictObject({
    words: z.number().int().min(1).max(50_000_000).default(2_000_000),
    seed: z.number().int().min(0).default(1),
    top: z.number().int().min(1).max(VOCABULARY.length).default(5),
  }),
  attempts: 2,
  async run({ payload, signal, progress, log }) {
    const batch = 100_000;
    const counts = new Map<string, number>();
    let seen = 0;
    for (const word of words(payload.words, payload.seed)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
      seen += 1;
      if (seen % batch === 0 || seen === payload.words) {
        progress({ current: seen, total: payload.words }, { stage: 'counting', message: `${seen} words counted` });
        await yieldToEventLoop(signal);
      }
    }
    log('info', `counted ${seen} words, ${counts.size} distinct`);
    progress(100, { stage: 'ranking' });
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, payload.top)
      .map(([word, count]) => ({ word, count }));
    return { words: seen, distinct: counts.size, top };
  },
});
