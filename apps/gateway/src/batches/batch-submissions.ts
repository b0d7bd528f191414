import { HttpStatus, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  batchJobTags,
  type JobSnapshot,
  type SubmitBatchRequest,
  type SubmitBatchResponse,
  type WatchToken,
} from '@jobcast/contracts';
import { JobFeeds } from '@jobcast/job-feeds';
import { randomUUID } from 'node:crypto';
import { submitBatch, type SubmitGrant } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { WatchTokens } from '../auth/watch-tokens';
import { ApiException } from '../http/api-exception';
import { ActiveJobQuota } from '../jobs/active-job-quota';
import { JobSubmissions, type JobToCreate } from '../jobs/job-submissions';
import { NewJobChecks } from '../jobs/new-job-checks';
import { OwnerJobIndex } from '../jobs/owner-job-index';
import { RateLimits } from '../jobs/rate-limits';
import { BatchJobs } from './batch-jobs';

export interface BatchSubmitOutcome extends SubmitBatchResponse {
  /** False when the idempotency key matched an existing batch. */
  created: boolean;
  /** For a service: a watch token of the batch, to hand to a browser. */
  watchToken?: WatchToken;
}

/** Jobs of one batch created at once: enough to keep Redis busy, few enough to leave room for other requests. */
const CREATE_CONCURRENCY = 32;

/** How long a retried submit waits for the batch its idempotency key points at, still being created. */
const IDEMPOTENCY_WAIT_MS = 5000;

/**
 * `POST /batches`: checks every job first (one bad job refuses the batch, naming its index, and creates
 * nothing), then takes a place for each job in its owner's active jobs (all or none: a batch counts its
 * jobs toward MAX_ACTIVE_JOBS_PER_USER), creates the batch and its jobs, and queues them. The batch is one
 * submission toward SUBMIT_RATE_PER_MINUTE: it is one request, however many jobs it holds.
 */
@Injectable()
export class BatchSubmissions {
  constructor(
    private readonly checks: NewJobChecks,
    private readonly rateLimits: RateLimits,
    private readonly activeJobs: ActiveJobQuota,
    private readonly index: OwnerJobIndex,
    private readonly submissions: JobSubmissions,
    private readonly feeds: JobFeeds,
    private readonly batchJobs: BatchJobs,
    private readonly watchTokens: WatchTokens,
  ) {}

  async submit(
    principal: Principal,
    request: SubmitBatchRequest,
    idempotencyKey: string | undefined,
  ): Promise<BatchSubmitOutcome> {
    const grant = submitBatch(principal, request);
    if (!grant.permitted) throw ApiException.forbidden(grant);
    const batchId = randomUUID();
    const jobs = await this.checkAll(grant, request, batchId);
    await this.rateLimits.consumeSubmit(grant.owner);
    const outcome = await this.createOrFind(grant.owner, batchId, jobs, idempotencyKey);
    if (!grant.watchToken) return outcome;
    return { ...outcome, watchToken: await this.watchTokens.mintFor({ batch: outcome.batch.id }) };
  }

  /**
   * Every job checked against its type, in order; the first bad one answers its own error with its index in
   * `details` (as the request's schema does: see BatchesController).
   */
  private async checkAll(
    grant: SubmitGrant & { external: false },
    request: SubmitBatchRequest,
    batchId: string,
  ): Promise<JobToCreate[]> {
    const jobs: JobToCreate[] = [];
    for (const [index, job] of request.jobs.entries()) {
      // The request's schema bounds them.
      const tags = batchJobTags(request.tags, job.tags);
      try {
        const newJob = await this.checks.check(grant, { type: job.type, payload: job.payload, attempts: job.attempts });
        jobs.push({ id: randomUUID(), type: job.type, owner: grant.owner, tags, batchId, job: newJob });
      } catch (error) {
        if (!(error instanceof ApiException)) throw error;
        throw new ApiException(error.code, error.getStatus(), `jobs[${index}]: ${error.message}`, {
          index,
          ...(error.details !== undefined && { details: error.details }),
        });
      }
    }
    return jobs;
  }

  private async createOrFind(
    owner: string,
    batchId: string,
    jobs: readonly JobToCreate[],
    idempotencyKey: string | undefined,
  ): Promise<Omit<BatchSubmitOutcome, 'watchToken'>> {
    const jobIds = jobs.map((job) => job.id);
    await this.activeJobs.reserve(owner, jobIds);
    if (idempotencyKey !== undefined) {
      const existingId = await this.index.claimIdempotencyKey(owner, `batch ${idempotencyKey}`, batchId);
      if (existingId) {
        await this.activeJobs.release(owner, jobIds);
        return { ...(await this.existing(owner, existingId)), created: false };
      }
    }
    const batch = await this.feeds.createBatch({ id: batchId, owner, jobIds });
    const created: JobSnapshot[] = new Array<JobSnapshot>(jobs.length);
    let next = 0;
    const createNext = async (): Promise<void> => {
      while (next < jobs.length) {
        const i = next++;
        created[i] = await this.submissions.create(jobs[i] as JobToCreate);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, jobs.length) }, createNext));
    return { batch, jobs: created, created: true };
  }

  /** The batch an idempotency key points at, with its jobs; its creator may still be writing it, so wait. */
  private async existing(owner: string, batchId: string): Promise<SubmitBatchResponse> {
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const record = await this.feeds.getBatch(batchId);
      if (record && record.owner === owner) {
        const jobs = await this.batchJobs.snapshots(batchId, record.snapshot.total);
        if (jobs.length === record.snapshot.total) return { batch: record.snapshot, jobs };
      }
      if (Date.now() > deadline) {
        throw new ApiException(
          ErrorCode.SERVICE_UNAVAILABLE,
          HttpStatus.SERVICE_UNAVAILABLE,
          'Batch is still being created; retry',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
