import { createLogger } from '@jobcast/observability';
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

export interface WorkerOptions {
  /** The job types this worker runs; each gets its own queue and is registered for the gateways to accept. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any payload schema, any result
  jobTypes: ReadonlyArray<JobType<any, any>>;
  /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. @default redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** `host:port` seeds of a Redis Cluster; `redisUrl` then supplies only credentials and TLS. */
  redisClusterNodes?: readonly string[];
  /** Prefix of every key; the same as the gateways'. @default jobcast */
  keyPrefix?: string;
  /** Jobs of each job type this worker runs at once. @default 4 */
  concurrency?: number;
  /** Most progress events logged per job per second; the latest value always wins. @default 10 */
  progressMaxHz?: number;
  /** How often a job's output streams' pending text is logged, at most. @default 25 */
  outputFlushMs?: number;
  /** The most output one job may write over all its streams, in UTF-8 bytes; the same as the gateways'. @default 1048576 (1 MiB) */
  outputMaxBytes?: number;
  /** The longest any attempt may run, whatever its job type or payload asks. @default 3600000 (1h) */
  maxTimeoutMs?: number;
  /** How long a job's log and snapshot live after it ends; the same as the gateways'. @default 86400000 (24h) */
  jobTtlMs?: number;
  /** The longest a job's keys live from its creation, finished or not; the same as the gateways'. @default 604800000 (7d) */
  jobMaxAgeMs?: number;
  /** Approximate cap on events kept per job; the same as the gateways'. @default 10000 */
  jobLogMaxEvents?: number;
  /** A running job's lock; a worker that dies holds its jobs at most this long. @default 30000 */
  lockMs?: number;
  /** How often workers look for jobs whose worker died. @default 30000 */
  stalledIntervalMs?: number;
  /** After `close()` (or SIGTERM), how long running jobs may finish before they go back to the queue. @default 10000 */
  shutdownGraceMs?: number;
  /** How often the job types' registration is refreshed. @default 5000 */
  heartbeatMs?: number;
  /** How long a job type stays registered after its last worker is gone. @default 86400000 (24h) */
  jobTypeTtlMs?: number;
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
  /** True while its Redis connection is up. */
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
  const consumers = new JobQueueConsumers(
    jobLog,
    jobTypes,
    {
      concurrency: settings.WORKER_CONCURRENCY,
      lockMs: settings.WORKER_LOCK_MS,
      stalledIntervalMs: settings.WORKER_STALLED_INTERVAL_MS,
      progressMaxHz: settings.PROGRESS_MAX_HZ,
      outputFlushMs: settings.OUTPUT_FLUSH_MS,
      outputMaxBytes: settings.OUTPUT_MAX_BYTES,
      maxTimeoutMs: settings.JOB_TIMEOUT_MAX,
      shutdownGraceMs: settings.SHUTDOWN_GRACE_MS,
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
    jobLog.redis.disconnect();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info({ graceMs: settings.SHUTDOWN_GRACE_MS }, 'shutting down: finishing running jobs');
      // The grace period starts now, whatever Redis answers to the withdrawal.
      await Promise.all([registrar.stop(), consumers.close()]);
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
  return { id, metrics: metrics.registry, isReady: () => jobLog.redis.status === 'ready', close };
}
