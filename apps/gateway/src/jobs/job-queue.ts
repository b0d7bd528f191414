import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { retryBackoff, type JobTypeRegistration, type QueuedJobData } from '@jobcast/job-types';
import { JOBS_QUEUE_NAME, RedisKeys, bullmqConnection, toRedisConfig, type RedisClient } from '@jobcast/redis';
import { Queue } from 'bullmq';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';

export interface EnqueueRequest {
  jobId: string;
  type: JobTypeRegistration;
  payload: unknown;
  attempts?: number;
}

/**
 * The gateway's side of the BullMQ queues, one per job type: add jobs, and take back ones that no worker has
 * started. Every queue shares one connection.
 */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly connection: RedisClient;
  private readonly queues = new Map<string, Queue<QueuedJobData>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: RedisKeys,
  ) {
    this.connection = bullmqConnection(toRedisConfig(config), 'jobcast-gateway-queue');
  }

  /** Adds the job to its type's queue under its own id, so adding it twice is a no-op. */
  async enqueue({ jobId, type, payload, attempts }: EnqueueRequest): Promise<void> {
    const retentionSeconds = Math.ceil(this.config.JOB_TTL / 1000);
    await this.queueOf(type.name).add(
      type.name,
      { jobId, type: type.name, payload },
      {
        jobId,
        attempts: attempts ?? type.attempts,
        backoff: retryBackoff(type.backoffMs),
        removeOnComplete: { age: retentionSeconds },
        removeOnFail: { age: retentionSeconds },
      },
    );
  }

  /** Removes a job that is waiting or delayed; false when a worker holds it (or it is gone). */
  async removeUnstarted(jobId: string, typeName: string): Promise<boolean> {
    const job = await this.queueOf(typeName).getJob(jobId);
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      // Locked by a worker: it is running, and only that worker can stop it.
      return false;
    }
  }

  /** Jobs per state in one type's queue, for /metrics. */
  counts(typeName: string): Promise<Record<string, number>> {
    return this.queueOf(typeName).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.connection.disconnect();
  }

  /** Type names come from the registry (validated, at most MAX_REGISTERED_JOB_TYPES), so this map is bounded. */
  private queueOf(typeName: string): Queue<QueuedJobData> {
    let queue = this.queues.get(typeName);
    if (!queue) {
      queue = new Queue<QueuedJobData>(JOBS_QUEUE_NAME, {
        connection: this.connection,
        prefix: this.keys.queuePrefix(typeName),
      });
      this.queues.set(typeName, queue);
    }
    return queue;
  }
}
