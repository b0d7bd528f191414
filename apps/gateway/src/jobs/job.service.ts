import { HttpStatus, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  TERMINAL_STATUSES,
  type JobSnapshot,
  type ListJobsQuery,
  type ListJobsResponse,
  type SubmitJobRequest,
} from '@jobcast/contracts';
import { JobEventLog, type JobRecord } from '@jobcast/job-log';
import { RedisKeys, type RedisClient, REDIS } from '@jobcast/redis';
import { Inject } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ownerOf, type Principal } from '../auth/principal';
import { ApiException } from '../http/api-exception';
import { JobQueue } from './job-queue';
import { JobTypeCatalog } from './job-type-catalog';
import { OwnerJobIndex } from './owner-job-index';
import { SubmitRateLimiter } from './submit-rate-limiter';

export interface SubmitOutcome {
  job: JobSnapshot;
  /** False when an idempotency key matched an existing job. */
  created: boolean;
}

const IDEMPOTENCY_WAIT_MS = 2000;

/** Submitting, reading, listing and cancelling jobs on behalf of their owner. */
@Injectable()
export class JobService {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly catalog: JobTypeCatalog,
    private readonly queue: JobQueue,
    private readonly index: OwnerJobIndex,
    private readonly keys: RedisKeys,
    private readonly rateLimiter: SubmitRateLimiter,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  async submit(principal: Principal, request: SubmitJobRequest): Promise<SubmitOutcome> {
    const check = await this.catalog.check(request.type, request.payload);
    const owner = ownerOf(principal);
    await this.rateLimiter.consume(owner);
    const jobId = randomUUID();
    if (request.idempotencyKey) {
      const existingId = await this.index.claimIdempotencyKey(owner, request.idempotencyKey, jobId);
      if (existingId) {
        const job = await this.existingJob(owner, existingId);
        // A gateway that died between creating the job and queueing it left it queued but unknown to
        // BullMQ; the retried submit queues it (adding an existing BullMQ job id is a no-op).
        if (job.status === 'queued') {
          await this.queue.enqueue({
            jobId: job.id,
            type: check.type,
            payload: check.payload,
            attempts: request.attempts,
          });
        }
        return { job, created: false };
      }
    }
    const job = await this.eventLog.create({ id: jobId, type: check.type.name, owner });
    await this.index.add(owner, jobId, job.createdAt);
    try {
      await this.queue.enqueue({ jobId, type: check.type, payload: check.payload, attempts: request.attempts });
    } catch (error) {
      await this.eventLog
        .append(jobId, {
          type: 'failed',
          data: { error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'could not queue the job' }, attempts: 0 },
        })
        .catch(() => undefined);
      throw error;
    }
    return { job, created: true };
  }

  /** The job's record, or JOB_NOT_FOUND when it does not exist or belongs to someone else. */
  async getOwned(principal: Principal, jobId: string): Promise<JobRecord> {
    const record = await this.eventLog.getRecord(jobId);
    if (!record || record.owner !== ownerOf(principal)) throw ApiException.jobNotFound(jobId);
    return record;
  }

  async list(principal: Principal, query: ListJobsQuery): Promise<ListJobsResponse> {
    const owner = ownerOf(principal);
    const offset = query.cursor ? Number(query.cursor) : 0;
    const ids = await this.index.page(owner, offset, query.limit);
    const records = await Promise.all(ids.map((id) => this.eventLog.getRecord(id)));
    await this.index.remove(
      owner,
      ids.filter((_, i) => records[i] === null),
    );
    const jobs = records.flatMap((record) => (record ? [record.snapshot] : []));
    return { jobs, ...(ids.length === query.limit && { nextCursor: String(offset + query.limit) }) };
  }

  /**
   * Cancels a queued or running job. A job no worker holds is taken off the queue and logged `cancelled`
   * here; a running one is flagged and its worker told, and that worker logs `cancelled` once its handler
   * stops. Cancelling a cancelled job answers it as it is.
   */
  async cancel(principal: Principal, jobId: string): Promise<JobSnapshot> {
    const { snapshot } = await this.getOwned(principal, jobId);
    if (snapshot.status === 'cancelled') return snapshot;
    if (TERMINAL_STATUSES.includes(snapshot.status)) {
      throw new ApiException(ErrorCode.JOB_FINISHED, HttpStatus.CONFLICT, `Job ${jobId} already ${snapshot.status}`);
    }
    await this.eventLog.requestCancel(jobId);
    if (await this.queue.removeUnstarted(jobId, snapshot.type)) {
      await this.eventLog
        .append(jobId, { type: 'cancelled', data: { reason: 'cancelled by its owner' } })
        .catch(() => undefined);
    } else {
      await this.redis.publish(this.keys.cancelChannel(), jobId);
    }
    return (await this.getOwned(principal, jobId)).snapshot;
  }

  /** The job an idempotency key points at; its creator may still be writing it, so wait briefly. */
  private async existingJob(owner: string, jobId: string): Promise<JobSnapshot> {
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const record = await this.eventLog.getRecord(jobId);
      if (record && record.owner === owner) return record.snapshot;
      if (Date.now() > deadline) {
        throw new ApiException(
          ErrorCode.SERVICE_UNAVAILABLE,
          HttpStatus.SERVICE_UNAVAILABLE,
          'Job is still being created; retry',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
