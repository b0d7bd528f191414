import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { JobType } from '@jobcast/job-types';
import { JOBS_QUEUE_NAME, RedisKeys, bullmqConnection, toRedisConfig } from '@jobcast/redis';
import { Queue } from 'bullmq';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';

export interface EnqueueRequest {
  jobId: string;
  type: JobType;
  payload: unknown;
  attempts?: number;
}

/** The gateway's side of the BullMQ queue: add jobs, and take back ones that no worker has started. */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly queue: Queue;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    keys: RedisKeys,
  ) {
    this.queue = new Queue(JOBS_QUEUE_NAME, {
      connection: bullmqConnection(toRedisConfig(config), 'jobcast-gateway-queue'),
      prefix: keys.queuePrefix(),
    });
  }

  /** Adds the job under its own id, so adding it twice is a no-op. */
  async enqueue({ jobId, type, payload, attempts }: EnqueueRequest): Promise<void> {
    const retentionSeconds = Math.ceil(this.config.JOB_TTL / 1000);
    await this.queue.add(
      type.name,
      { jobId, type: type.name, payload },
      {
        jobId,
        attempts: attempts ?? type.attempts ?? 1,
        backoff: { type: 'exponential', delay: type.backoffMs ?? 1000 },
        removeOnComplete: { age: retentionSeconds },
        removeOnFail: { age: retentionSeconds },
      },
    );
  }

  /** Removes a job that is waiting or delayed; false when a worker holds it (or it is gone). */
  async removeUnstarted(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      // Locked by a worker: it is running, and only that worker can stop it.
      return false;
    }
  }

  /** Jobs per state, for /metrics. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
