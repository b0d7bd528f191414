import { loadConfig } from '@jobcast/config';
import type { WorkerOptions } from './create-worker';
import { WorkerEnvSchema } from './worker-env';

/**
 * The worker's options from environment variables (REDIS_URL, WORKER_CONCURRENCY, ... as the README lists
 * them), for `createWorker({ ...workerOptionsFromEnv(), jobTypes })`. Throws a ConfigError naming every bad
 * variable.
 */
export function workerOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Omit<WorkerOptions, 'jobTypes'> {
  const settings = loadConfig(WorkerEnvSchema, env);
  return {
    redisUrl: settings.REDIS_URL,
    ...(settings.REDIS_CLUSTER_NODES && { redisClusterNodes: settings.REDIS_CLUSTER_NODES.split(',') }),
    keyPrefix: settings.REDIS_KEY_PREFIX,
    concurrency: settings.WORKER_CONCURRENCY,
    progressMaxHz: settings.PROGRESS_MAX_HZ,
    maxTimeoutMs: settings.JOB_TIMEOUT_MAX,
    jobTtlMs: settings.JOB_TTL,
    jobMaxAgeMs: settings.JOB_MAX_AGE,
    jobLogMaxEvents: settings.JOB_LOG_MAX_EVENTS,
    lockMs: settings.WORKER_LOCK_MS,
    stalledIntervalMs: settings.WORKER_STALLED_INTERVAL_MS,
    shutdownGraceMs: settings.SHUTDOWN_GRACE_MS,
    heartbeatMs: settings.WORKER_HEARTBEAT,
    jobTypeTtlMs: settings.JOB_TYPE_TTL,
  };
}
