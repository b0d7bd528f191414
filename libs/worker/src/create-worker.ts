import { takeDeprecationWarnings } from '@jobcast/config';
import { createLogger } from '@jobcast/observability';
import { JobFeedTouches, JobFeeds } from '@jobcast/job-feeds';
import { createJobLog } from '@jobcast/job-log';
import { JobTypeDirectory } from '@jobcast/job-types';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { JobQueueConsumers } from './job-queue-consumers';
import type { JobType } from './job-type';
import { JobTypeDefinitionError } from './job-type-definition-error';
import { JobTypeRegistrar, registrationFor } from './job-type-registrar';
import { WorkerMetrics } from './worker-metrics';
import { resolveSettings } from './worker-settings';

/**
 * A worker's options. Each setting is the worker environment variable named in its comment, with that
 * variable's default: they are listed in the configuration table of Jobcast's README
 * (https://github.com/jobcast/jobcast#configuration). Durations are milliseconds.
 */
export interface WorkerOptions {
  /** The job types this worker runs; each gets its own queue and is registered for the gateways to accept. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any payload schema, any result
  jobTypes: ReadonlyArray<JobType<any, any>>;
  /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS (REDIS_URL). */
  redisUrl?: string;
  /** `host:port` seeds of a Redis Cluster; `redisUrl` then supplies only credentials and TLS (REDIS_CLUSTER_NODES). */
  redisClusterNodes?: readonly string[];
  /** Prefix of every key; the same as the gateways' (REDIS_KEY_PREFIX). */
  keyPrefix?: string;
  /** Jobs of each job type this worker runs at once (WORKER_CONCURRENCY). */
  concurrency?: number;
  /** Most progress events logged per job per second; the latest value always wins (PROGRESS_MAX_HZ). */
  progressMaxHz?: number;
  /** The longest any attempt may run, whatever its job type or payload asks (JOB_TIMEOUT_MAX). */
  maxTimeoutMs?: number;
  /** How long a job's log and snapshot live after it ends; the same as the gateways' (JOB_TTL). */
  jobTtlMs?: number;
  /** The longest a job's keys live from its creation, finished or not; the same as the gateways' (JOB_MAX_AGE). */
  jobMaxAgeMs?: number;
  /** Approximate cap on events kept per job; the same as the gateways' (JOB_LOG_MAX_EVENTS). */
  jobLogMaxEvents?: number;
  /** A running job's lock; a worker that dies holds its jobs at most this long (WORKER_LOCK). */
  lockMs?: number;
  /** How often workers look for jobs whose worker died (WORKER_STALLED_INTERVAL). */
  stalledIntervalMs?: number;
  /** After `close()` (or SIGTERM), how long running jobs may finish before they go back to the queue (SHUTDOWN_GRACE). */
  shutdownGraceMs?: number;
  /** How often the job types' registration is refreshed (WORKER_HEARTBEAT). */
  heartbeatMs?: number;
  /** How long a job type stays registered after its last worker is gone (JOB_TYPE_TTL). */
  jobTypeTtlMs?: number;
  /** A job's progress touches its feeds at most this often a second; the same as the gateways' (FEED_MAX_HZ). */
  feedMaxHz?: number;
  /** Jobs a feed keeps; the same as the gateways' (FEED_MAX_JOBS). */
  feedMaxJobs?: number;
  /** Jobs a tag's listing index keeps; the same as the gateways' (TAG_INDEX_MAX_JOBS). */
  tagIndexMaxJobs?: number;
  /** A pino logger. @default JSON lines on stdout at level info */
  logger?: Logger;
  /** Call `close()` on SIGTERM and SIGINT. @default true */
  handleSignals?: boolean;
}

export interface JobcastWorker {
  /** This worker's id in the job-type registry and in logs. */
  readonly id: string;
  /** Its Prometheus metrics (prom-client), including Node's process metrics. */
  readonly metrics: Registry;
  /** True while it takes jobs: its Redis connection is up and `close()` has not been called. */
  isReady(): boolean;
  /**
   * Stops gracefully: takes no new job, withdraws its registrations, lets running jobs finish for
   * `shutdownGraceMs`, then hands the rest back to their queue (watchers see a log line, then `started`
   * on another worker). Resolves once everything is closed.
   */
  close(): Promise<void>;
}

/**
 * Starts a worker that runs `jobTypes`: registers them in Redis (so any gateway accepts them at once, with
 * their payloads checked there), then takes their jobs from their queues. Throws before touching Redis when
 * a job type is not valid (name, schema bounds, attempts), naming the type and the problem.
 */
export async function createWorker(options: WorkerOptions): Promise<JobcastWorker> {
  const settings = resolveSettings(options);
  const logger = options.logger ?? createLogger('worker', 'info');
  // Those of workerOptionsFromEnv, read before any logger existed.
  for (const warning of takeDeprecationWarnings()) logger.warn({ deprecated: true }, warning);
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const registeredAt = Date.now();
  // Each type is checked against its own schema; past this point only the common shape matters.
  const jobTypes = [...options.jobTypes] as JobType[];
  const duplicate = jobTypes.find((type, index) => jobTypes.findIndex((other) => other.name === type.name) !== index);
  if (duplicate) throw new JobTypeDefinitionError(duplicate.name, 'listed twice');
  const registrations = jobTypes.map((type) => registrationFor(type, id, registeredAt));

  const metrics = new WorkerMetrics();
  const jobLog = createJobLog(settings, { connectionName: 'jobcast-worker', reconnects: metrics.redisReconnects });
  const registrar = new JobTypeRegistrar(
    new JobTypeDirectory(jobLog.redis, jobLog.keys),
    registrations,
    { workerId: id, heartbeatMs: settings.WORKER_HEARTBEAT, typeTtlMs: settings.JOB_TYPE_TTL },
    logger,
    metrics,
  );
  const feedTouches = new JobFeedTouches(
    new JobFeeds(jobLog.redis, jobLog.keys, jobLog.events, {
      maxJobs: settings.FEED_MAX_JOBS,
      ttlMs: settings.JOB_MAX_AGE,
    }),
    jobLog.events,
    {
      maxHz: settings.FEED_MAX_HZ,
      onError: (error, jobId) => logger.warn({ jobId, err: error }, 'feed touch failed'),
    },
  );
  const consumers = new JobQueueConsumers(
    jobLog,
    feedTouches,
    jobTypes,
    {
      concurrency: settings.WORKER_CONCURRENCY,
      lockMs: settings.WORKER_LOCK,
      stalledIntervalMs: settings.WORKER_STALLED_INTERVAL,
      progressMaxHz: settings.PROGRESS_MAX_HZ,
      maxTimeoutMs: settings.JOB_TIMEOUT_MAX,
      shutdownGraceMs: settings.SHUTDOWN_GRACE,
    },
    logger,
    metrics,
  );
  try {
    await registrar.start();
    await consumers.start();
  } catch (error) {
    await registrar.stop();
    await consumers.close();
    feedTouches.close();
    jobLog.redis.disconnect();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info({ graceMs: settings.SHUTDOWN_GRACE }, 'shutting down: finishing running jobs');
      // The grace period starts now, whatever Redis answers to the withdrawal.
      await Promise.all([registrar.stop(), consumers.close()]);
      feedTouches.close();
      jobLog.redis.disconnect();
      logger.info('worker stopped');
    })();
    return closing;
  };
  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void close());
  }
  logger.info(
    { workerId: id, jobTypes: jobTypes.map((type) => type.name), concurrency: settings.WORKER_CONCURRENCY },
    'worker ready',
  );
  const isReady = (): boolean => closing === undefined && jobLog.redis.status === 'ready';
  return { id, metrics: metrics.registry, isReady, close };
}
