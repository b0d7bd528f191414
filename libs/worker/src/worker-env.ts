import { duration, SharedEnvSchema } from '@jobcast/config';
import { FeedEnvSchema } from '@jobcast/job-feeds';
import { RedisEnvSchema } from '@jobcast/redis';
import { z } from 'zod';

/**
 * Every setting of a worker, as environment variables: the worker app's configuration, and the one place
 * its defaults are written (createWorker's options take them from here, the README's table is checked
 * against it).
 */
export const WorkerEnvSchema = SharedEnvSchema.extend(RedisEnvSchema.shape)
  .extend(FeedEnvSchema.shape)
  .extend({
    /** Jobs of each job type one worker process runs at once. @default 4 */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
    /** Most progress events logged per job per second; the latest value always wins. @default 10 */
    PROGRESS_MAX_HZ: z.coerce.number().min(0.1).max(1000).default(10),
    /** A running job's lock; a worker that dies holds its jobs at most this long. @default 30s */
    WORKER_LOCK: duration.default(30_000),
    /** How often workers look for jobs whose worker died. @default 30s */
    WORKER_STALLED_INTERVAL: duration.default(30_000),
    /** The longest any attempt may run, whatever its job type or payload asks: past it, JOB_TIMEOUT. @default 1h */
    JOB_TIMEOUT_MAX: duration.default(3_600_000),
    /** How often a worker refreshes its job types' registration; it counts as live for three of these. @default 5s */
    WORKER_HEARTBEAT: duration.default(5000).pipe(z.number().min(100, 'must be at least 100ms')),
    /** How long a job type stays registered (and accepted by gateways) after its last worker is gone. @default 24h */
    JOB_TYPE_TTL: duration.default(86_400_000).pipe(z.number().min(1000, 'must be at least 1s')),
  });

export type WorkerEnv = z.infer<typeof WorkerEnvSchema>;
