import { DEFAULT_OUTPUT_MAX_BYTES } from '@jobcast/contracts';
import { z } from 'zod';
import { duration } from './duration';

/** Settings that the gateway and the worker must agree on. */
export const SharedEnvSchema = z.object({
  /** How long a job's log and snapshot live after it ends. @default 24h */
  JOB_TTL: duration.default(86_400_000),
  /**
   * The longest a job's keys live from its creation, finished or not: a job that never ends (its worker or
   * service gone for good) does not stay in Redis for ever. @default 7d
   */
  JOB_MAX_AGE: duration.default(7 * 86_400_000),
  /** Approximate cap on the number of events kept per job. @default 10000 */
  JOB_LOG_MAX_EVENTS: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
  /**
   * The most output (`ctx.stream(key).write`, external `output` events) one job may write, over all its streams,
   * in UTF-8 bytes; the job log refuses more with OUTPUT_TOO_LARGE. @default 1 MiB
   */
  OUTPUT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_OUTPUT_MAX_BYTES),
  /** pino level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a process may take to stop after SIGTERM. @default 10s */
  SHUTDOWN_GRACE: duration.default(10_000),
});
export type SharedEnv = z.infer<typeof SharedEnvSchema>;
