import { defineJobType, sleep, yieldToEventLoop, z } from '@jobcast/worker';

/**
 * Deterministic steps for demos and tests: `failAt` throws at that step in the first `failTimes` attempts,
 * `log` adds a log line per step, `timeoutMs` bounds each attempt.
 */
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
    /** Fail an attempt that runs longer than this. @default 600000 */
    timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  }),
  timeoutMs: (payload) => payload.timeoutMs ?? 600_000,
  attempts: 3,
  backoffMs: 200,
  async run({ payload, attempt, signal, progress, log }) {
    const { steps, intervalMs, failAt, failTimes } = payload;
    for (let step = 1; step <= steps; step += 1) {
      // intervalMs 0 is a tight loop: it only yields, so timers (and cancellation) still get their turn.
      await (intervalMs > 0 ? sleep(intervalMs, signal) : yieldToEventLoop(signal));
      if (step === failAt && (failTimes === undefined || attempt <= failTimes)) {
        throw new Error(`demo.steps failed at step ${step} on attempt ${attempt}`);
      }
      progress({ current: step, total: steps }, { stage: 'step', message: `step ${step} of ${steps}` });
      if (payload.log) log('info', `finished step ${step}`);
    }
    return { steps };
  },
});
