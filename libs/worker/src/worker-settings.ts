import type { WorkerOptions } from './create-worker';
import { WorkerEnvSchema, type WorkerEnv } from './worker-env';

type Setting = Exclude<keyof WorkerOptions, 'jobTypes' | 'logger' | 'handleSignals'>;

/**
 * Each option of createWorker and the environment variable that sets it in the worker app. One schema
 * (WorkerEnvSchema) checks both and holds every default.
 */
export const ENV_OF: Readonly<Record<Setting, keyof WorkerEnv>> = {
  redisUrl: 'REDIS_URL',
  redisClusterNodes: 'REDIS_CLUSTER_NODES',
  keyPrefix: 'REDIS_KEY_PREFIX',
  concurrency: 'WORKER_CONCURRENCY',
  progressMaxHz: 'PROGRESS_MAX_HZ',
  maxTimeoutMs: 'JOB_TIMEOUT_MAX',
  jobTtlMs: 'JOB_TTL',
  jobMaxAgeMs: 'JOB_MAX_AGE',
  jobLogMaxEvents: 'JOB_LOG_MAX_EVENTS',
  lockMs: 'WORKER_LOCK',
  stalledIntervalMs: 'WORKER_STALLED_INTERVAL',
  shutdownGraceMs: 'SHUTDOWN_GRACE',
  heartbeatMs: 'WORKER_HEARTBEAT',
  jobTypeTtlMs: 'JOB_TYPE_TTL',
  feedMaxHz: 'FEED_MAX_HZ',
  feedMaxJobs: 'FEED_MAX_JOBS',
  tagIndexMaxJobs: 'TAG_INDEX_MAX_JOBS',
};

/** createWorker's options with every default applied; throws a TypeError naming each bad option. */
export function resolveSettings(options: WorkerOptions): WorkerEnv {
  const env: Record<string, string> = {};
  for (const [option, variable] of Object.entries(ENV_OF) as Array<[Setting, keyof WorkerEnv]>) {
    const value = options[option];
    if (value === undefined) continue;
    // Durations in options are milliseconds, as a bare number in a duration variable is.
    env[variable] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const parsed = WorkerEnvSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const optionOf = new Map(Object.entries(ENV_OF).map(([option, variable]) => [variable as string, option]));
  const problems = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    return `${optionOf.get(variable) ?? variable}: ${issue.message}`;
  });
  throw new TypeError(`createWorker: invalid options:\n  ${problems.join('\n  ')}`);
}
