import { HttpStatus, Injectable } from '@nestjs/common';
import { ErrorCode, type JobSnapshot, type SubmitJobRequest, type WatchToken } from '@jobcast/contracts';
import { JobFeedTouches, JobTagIndex } from '@jobcast/job-feeds';
import { JobEventLog } from '@jobcast/job-log';
import { randomUUID } from 'node:crypto';
import { submitJob } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { WatchTokens } from '../auth/watch-tokens';
import { ApiException } from '../http/api-exception';
import { ActiveJobQuota } from './active-job-quota';
import { JobQueue } from './job-queue';
import { LeaseReaper } from './lease-reaper';
import type { NewJob } from './new-job';
import { NewJobChecks } from './new-job-checks';
import { OwnerJobIndex } from './owner-job-index';
import { RateLimits } from './rate-limits';

export interface SubmitOutcome {
  job: JobSnapshot;
  /** False when an idempotency key matched an existing job. */
  created: boolean;
  /** For a service: a watch token of the job, to hand to a browser. */
  watchToken?: WatchToken;
}

const IDEMPOTENCY_WAIT_MS = 2000;

/** A checked job to create: its id, whose it is, what it is, and the batch it is in. */
export interface JobToCreate {
  readonly id: string;
  readonly type: string;
  readonly owner: string;
  readonly tags?: readonly string[];
  readonly batchId?: string;
  readonly job: NewJob;
}

/**
 * `POST /jobs`: creates the job (once per idempotency key) for whoever the access policy says, within the
 * owner's submit rate and active-job quota, then queues it, or starts the lease of an external one.
 */
@Injectable()
export class JobSubmissions {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly checks: NewJobChecks,
    private readonly queue: JobQueue,
    private readonly index: OwnerJobIndex,
    private readonly rateLimits: RateLimits,
    private readonly activeJobs: ActiveJobQuota,
    private readonly leases: LeaseReaper,
    private readonly watchTokens: WatchTokens,
    private readonly tagIndex: JobTagIndex,
    private readonly feedTouches: JobFeedTouches,
  ) {}

  async submit(principal: Principal, request: SubmitJobRequest): Promise<SubmitOutcome> {
    const grant = submitJob(principal, request);
    if (!grant.permitted) throw ApiException.forbidden(grant);
    const newJob = await this.checks.check(grant, request);
    await this.rateLimits.consumeSubmit(grant.owner);
    const outcome = await this.createOrFind(request, grant.owner, newJob);
    if (!grant.watchToken) return outcome;
    return { ...outcome, watchToken: await this.watchTokens.mint(outcome.job.id) };
  }

  private async createOrFind(
    request: SubmitJobRequest,
    owner: string,
    newJob: NewJob,
  ): Promise<Omit<SubmitOutcome, 'watchToken'>> {
    const jobId = randomUUID();
    await this.activeJobs.reserve(owner, [jobId]);
    if (request.idempotencyKey) {
      const existingId = await this.index.claimIdempotencyKey(owner, request.idempotencyKey, jobId);
      if (existingId) {
        await this.activeJobs.release(owner, [jobId]);
        const job = await this.existingJob(owner, existingId);
        // A gateway that died between creating the job and queueing it left it queued but unknown to
        // BullMQ; the retried submit queues it (adding an existing BullMQ job id is a no-op).
        if (job.status === 'queued' && newJob.kind === 'queued') await this.queue.enqueue({ jobId: job.id, ...newJob });
        return { job, created: false };
      }
    }
    const job = await this.create({
      id: jobId,
      type: request.type,
      owner,
      ...(request.tags && { tags: request.tags }),
      job: newJob,
    });
    return { job, created: true };
  }

  /**
   * Creates a checked job whose place in its owner's active jobs is taken: logs it `queued`, indexes it
   * (its owner's list, its tags' lists), touches its feeds, then queues it, or starts an external one's lease.
   */
  async create(toCreate: JobToCreate): Promise<JobSnapshot> {
    const { id: jobId, owner, job: newJob } = toCreate;
    const job = await this.eventLog.create({
      id: jobId,
      type: toCreate.type,
      owner,
      ...(toCreate.tags && { tags: toCreate.tags }),
      ...(toCreate.batchId !== undefined && { batchId: toCreate.batchId }),
      ...(newJob.kind === 'external' && { external: { publisher: newJob.publisher, leaseMs: newJob.leaseMs } }),
    });
    await Promise.all([
      this.index.add(owner, jobId, job.createdAt),
      this.tagIndex.add({ id: jobId, owner, tags: toCreate.tags ?? [], createdAt: job.createdAt }),
      this.feedTouches.offer({ owner, snapshot: job }),
    ]);
    if (newJob.kind === 'external') {
      await this.leases.track(jobId, job.createdAt + newJob.leaseMs);
      return job;
    }
    try {
      await this.queue.enqueue({ jobId, ...newJob });
    } catch (error) {
      await this.eventLog
        .append(jobId, {
          type: 'failed',
          data: { error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'could not queue the job' }, attempts: 0 },
        })
        .then(() => this.feedTouches.changed(jobId))
        .catch(() => undefined);
      throw error;
    }
    return job;
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
