import { z } from 'zod';
import { defineJobType, sleep } from '../job-type';

/** Deterministic steps for demos and tests; `failAt` throws at that step in the first `failTimes` attempts. */
export const demoStepsJob = defineJobType({
  name: 'demo.steps',
  description: 'One progress event per step, every intervalMs; can fail on purpose.',
  payload: z.strictObject({
    steps: z.number().int().min(1).max(10_000),
    intervalMs: z.number().int().min(0).max(60_000),
    failAt: z.number().int().min(1).optional(),
    failTimes: z.number().int().min(1).optional(),
    /** Also log a line per step: lifecycle-like traffic that is never conflated. */
    log: z.boolean().optional(),
  }),
  attempts: 3,
  backoffMs: 200,
  async run({ payload, attempt, signal, progress, log }) {
    const { steps, intervalMs, failAt, failTimes } = payload;
    for (let step = 1; step <= steps; step += 1) {
      await sleep(intervalMs, signal);
      if (step === failAt && (failTimes === undefined || attempt <= failTimes)) {
        throw new Error(`demo.steps failed at step ${step} on attempt ${attempt}`);
      }
      progress({ current: step, total: steps }, { stage: 'step', message: `step ${step} of ${steps}` });
      if (payload.log) log('info', `finished step ${step}`);
    }
    return { steps };
  },
});
