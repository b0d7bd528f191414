import type { JobFeedTouches } from '@jobcast/job-feeds';
import { ErrorCode } from '@jobcast/contracts';
import type { JobLog } from '@jobcast/job-log';
import type { QueuedJobData } from '@jobcast/job-types';
import { JOBS_QUEUE_NAME, bullmqConnection, type RedisClient } from '@jobcast/redis';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { AbortReason } from './abort-reason';
import { JobProcessor } from './job-processor';
import type { JobType } from './job-type';
import { queuedJobRetryDelayMs } from './queued-job-retry-delay';
import type { WorkerMetrics } from './worker-metrics';

export interface ConsumerOptions {
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  progressMaxHz: number;
  maxTimeoutMs: number;
  shutdownGraceMs: number;
}

/**
 * One BullMQ worker per job type this process runs, each on that type's own queue, so it never receives a
 * job it does not know. Also the two ways a running job is stopped: a gateway's cancel request, and
 * shutdown, after which running jobs get `shutdownGraceMs` to finish before they go back to their queue.
 */
export class JobQueueConsumers {
  private readonly workers: Worker<QueuedJobData>[];
  /** BullMQ leaves a connection it was given open on close; these are closed here, after it. */
  private readonly connections: RedisClient[] = [];
  private stopHearingCancels: (() => void) | undefined;

  constructor(
    private readonly jobLog: JobLog,
    feedTouches: JobFeedTouches,
    jobTypes: readonly JobType[],
    private readonly options: ConsumerOptions,
    private readonly logger: Logger,
    metrics: WorkerMetrics,
  ) {
    this.workers = jobTypes.map((type) => {
      const processor = new JobProcessor(type, jobLog.events, feedTouches, logger, metrics, {
        progressMaxHz: options.progressMaxHz,
        maxTimeoutMs: options.maxTimeoutMs,
      });
      const connection = bullmqConnection(jobLog.redisConfig, `jobcast-worker-queue:${type.name}`);
      this.connections.push(connection);
      const worker = new Worker<QueuedJobData>(
        JOBS_QUEUE_NAME,
        (job, token, signal) => processor.process(job, token, signal),
        {
          connection,
          prefix: jobLog.keys.queuePrefix(type.name),
          concurrency: options.concurrency,
          lockDuration: options.lockMs,
          stalledInterval: options.stalledIntervalMs,
          // The gateway queues every job with retryBackoff, whose delays BullMQ asks of this strategy.
          settings: {
            backoffStrategy: (failedAttempts, _type, _error, job) =>
              queuedJobRetryDelayMs(job?.opts.backoff, failedAttempts),
          },
          autorun: false,
        },
      );
      worker.on('error', (error) => logger.warn({ err: error, jobType: type.name }, 'queue connection error'));
      worker.on('failed', (job, error) => {
        logger.info({ jobId: job?.data.jobId, jobType: type.name, err: error.message }, 'attempt failed');
        if (job?.deferredFailure !== undefined && error.message === job.deferredFailure) {
          void this.logGivenUp(job);
        }
      });
      return worker;
    });
  }

  /**
   * A job whose workers died mid-job too often (BullMQ's stalled limit) is failed by BullMQ when a worker
   * next takes it, without the handler running to log it; that worker logs `failed` for its watchers, who
   * would otherwise wait for ever.
   */
  private async logGivenUp(job: Job<QueuedJobData>): Promise<void> {
    try {
      await this.jobLog.events.append(job.data.jobId, {
        type: 'failed',
        data: {
          error: { code: ErrorCode.STALLED, message: job.deferredFailure ?? '' },
          attempts: job.attemptsStarted - 1,
        },
      });
      this.logger.warn({ jobId: job.data.jobId }, 'job failed: its workers stopped mid-job too often');
    } catch (error) {
      // Already ended (the log refuses a second end), or Redis away.
      this.logger.warn({ err: error, jobId: job.data.jobId }, 'job given up by BullMQ not logged as failed');
    }
  }

  async start(): Promise<void> {
    this.stopHearingCancels = await this.jobLog.cancellation.onRequested((jobId) => {
      // Only the worker holding the job has it; the others answer false.
      if (this.workers.some((worker) => worker.cancelJob(jobId, AbortReason.CANCELLED))) {
        this.logger.info({ jobId }, 'job cancelled');
      }
    });
    for (const worker of this.workers) void worker.run();
  }

  /** Stops taking jobs, lets running ones finish for the grace period, then hands the rest back. */
  async close(): Promise<void> {
    const handBack = setTimeout(() => {
      for (const worker of this.workers) worker.cancelAllJobs(AbortReason.SHUTDOWN);
    }, this.options.shutdownGraceMs);
    await Promise.all(this.workers.map((worker) => worker.close()));
    clearTimeout(handBack);
    for (const connection of this.connections) connection.disconnect();
    this.stopHearingCancels?.();
  }
}
