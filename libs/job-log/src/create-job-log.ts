import type { SharedEnv } from '@jobcast/config';
import {
  RedisKeys,
  createRedisConnection,
  toRedisConfig,
  type RedisClient,
  type RedisConfig,
  type RedisEnv,
} from '@jobcast/redis';
import type { Counter } from 'prom-client';
import { JobCancellation } from './job-cancellation';
import { JobEventLog } from './job-event-log';

/** The settings a process reaches the job log with: where Redis is, and how long jobs are kept. */
export type JobLogEnv = RedisEnv &
  Pick<SharedEnv, 'JOB_TTL' | 'JOB_MAX_AGE' | 'JOB_LOG_MAX_EVENTS' | 'OUTPUT_MAX_BYTES'>;

export interface JobLogOptions {
  /** The process's connections are named after it in `CLIENT LIST`: `jobcast-gateway`, `jobcast-worker`. */
  connectionName: string;
  /** Counts reconnections of the command connection, as `connection="commands"`. */
  reconnects: Counter<'connection'>;
}

/** A process's command connection to Redis, and the job log and the cancellation of jobs on it. */
export interface JobLog {
  /** Where Redis is, for the process's other connections (BullMQ's, subscribers). */
  readonly redisConfig: RedisConfig;
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly events: JobEventLog;
  readonly cancellation: JobCancellation;
}

/** Connects to the job log the way every gateway and worker does, from the settings they share. */
export function createJobLog(env: JobLogEnv, options: JobLogOptions): JobLog {
  const redisConfig = toRedisConfig(env);
  const keys = new RedisKeys(redisConfig.keyPrefix);
  const redis = createRedisConnection(redisConfig, { name: options.connectionName }).on('reconnecting', () =>
    options.reconnects.inc({ connection: 'commands' }),
  );
  const events = new JobEventLog(redis, keys, {
    ttlSeconds: Math.ceil(env.JOB_TTL / 1000),
    maxEvents: env.JOB_LOG_MAX_EVENTS,
    maxAgeMs: env.JOB_MAX_AGE,
    outputMaxBytes: env.OUTPUT_MAX_BYTES,
  });
  const cancellation = new JobCancellation(redis, keys, () =>
    createRedisConnection(redisConfig, { name: `${options.connectionName}-cancel` }),
  );
  return { redisConfig, redis, keys, events, cancellation };
}
