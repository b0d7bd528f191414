import { durationMs, SharedEnvSchema } from '@jobcast/config';
import { RedisEnvSchema } from '@jobcast/redis';
import { z } from 'zod';

export const WorkerEnvSchema = SharedEnvSchema.extend(RedisEnvSchema.shape).extend({
  /** Jobs one worker process runs at once. @default 4 */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
  /** Most progress events logged per job per second; the latest value always wins. @default 10 */
  PROGRESS_MAX_HZ: z.coerce.number().min(0.1).max(1000).default(10),
  /** A running job's lock; a worker that dies holds its jobs at most this long. @default 30s */
  WORKER_LOCK_MS: durationMs('ms').default(30_000),
  /** How often workers look for jobs whose worker died. @default 30s */
  WORKER_STALLED_INTERVAL_MS: durationMs('ms').default(30_000),
  /** Port of the worker's /healthz and /metrics; 0 turns them off. @default 9464 */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
});

export type WorkerConfig = z.infer<typeof WorkerEnvSchema>;
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
