import { REDIS } from '@jobcast/redis';
import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  JOBS_QUEUE_NAME,
  RedisKeys,
  bullmqConnection,
  createRedisConnection,
  toRedisConfig,
  type RedisClient,
} from '@jobcast/redis';
import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { JobProcessor } from './job-processor';
import { AbortReason, type QueuedJobData } from './queued-job';

/**
 * The BullMQ worker of this process, and its two ways of stopping a job: a cancel request published by
 * a gateway, and SIGTERM, after which running jobs get SHUTDOWN_GRACE_MS to finish before they are handed
 * back to the queue.
 */
@Injectable()
export class JobQueueWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker<QueuedJobData> | undefined;
  private cancelSubscriber: RedisClient | undefined;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly processor: JobProcessor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const redisConfig = toRedisConfig(this.config);
    this.worker = new Worker<QueuedJobData>(
      JOBS_QUEUE_NAME,
      (job, token, signal) => this.processor.process(job, token, signal),
      {
        connection: bullmqConnection(redisConfig, 'jobcast-worker-queue'),
        prefix: this.keys.queuePrefix(),
        concurrency: this.config.WORKER_CONCURRENCY,
        lockDuration: this.config.WORKER_LOCK_MS,
        stalledInterval: this.config.WORKER_STALLED_INTERVAL_MS,
        autorun: false,
      },
    );
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'queue connection error'));
    this.worker.on('failed', (job, error) =>
      this.logger.info({ jobId: job?.data.jobId, err: error.message }, 'attempt failed'),
    );
    const cancelSubscriber = createRedisConnection(redisConfig, { name: 'jobcast-worker-cancel' });
    this.cancelSubscriber = cancelSubscriber;
    cancelSubscriber.on('message', (_channel: string, jobId: string) => {
      if (this.worker?.cancelJob(jobId, AbortReason.CANCELLED)) this.logger.info({ jobId }, 'job cancelled');
    });
    await cancelSubscriber.subscribe(this.keys.cancelChannel());
    void this.worker.run();
    this.logger.info({ concurrency: this.config.WORKER_CONCURRENCY }, 'worker ready');
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.logger.info({ graceMs: this.config.SHUTDOWN_GRACE_MS }, 'shutting down: finishing running jobs');
    const handBack = setTimeout(() => worker.cancelAllJobs(AbortReason.SHUTDOWN), this.config.SHUTDOWN_GRACE_MS);
    await worker.close();
    clearTimeout(handBack);
    this.cancelSubscriber?.disconnect();
    this.redis.disconnect();
    this.logger.info('worker stopped');
  }
}
