import { loadConfig } from '@jobcast/config';
import type { WorkerOptions } from './create-worker';
import { WorkerEnvSchema } from './worker-env';
import { ENV_OF } from './worker-settings';

/**
 * The worker's options from environment variables (REDIS_URL, WORKER_CONCURRENCY, ... as the README lists
 * them), for `createWorker({ ...workerOptionsFromEnv(), jobTypes })`. Throws a ConfigError naming every bad
 * variable.
 */
export function workerOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Omit<WorkerOptions, 'jobTypes'> {
  const settings = loadConfig(WorkerEnvSchema, env);
  const options: Record<string, unknown> = {};
  for (const [option, variable] of Object.entries(ENV_OF)) {
    const value = settings[variable];
    if (value === undefined) continue;
    // The one list among the options; in the environment it is comma-separated.
    options[option] = option === 'redisClusterNodes' ? String(value).split(',') : value;
  }
  return options;
}
