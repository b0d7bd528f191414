import { Injectable } from '@nestjs/common';
import { isTerminalStatus, type BatchSnapshot, type WatchToken } from '@jobcast/contracts';
import { JobFeeds, type BatchRecord } from '@jobcast/job-feeds';
import { cancelBatch, mintBatchWatchToken, readBatch, type BatchVerdict } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { WatchTokens } from '../auth/watch-tokens';
import { ApiException } from '../http/api-exception';
import { batchNotFound } from '../jobs/job-listing';
import { JobService } from '../jobs/job.service';
import { BatchJobs } from './batch-jobs';

/** Reading and cancelling batches, and minting their watch tokens, for whoever the access policy lets. */
@Injectable()
export class BatchService {
  constructor(
    private readonly feeds: JobFeeds,
    private readonly batchJobs: BatchJobs,
    private readonly jobs: JobService,
    private readonly watchTokens: WatchTokens,
  ) {}

  async get(principal: Principal, batchId: string): Promise<BatchSnapshot> {
    return permitted(readBatch(principal, await this.feeds.getBatch(batchId)), batchId).snapshot;
  }

  /**
   * Cancels every job of the batch that has not ended (a running one's worker logs `cancelled` once its
   * handler stops) and answers the batch as it is then.
   */
  async cancel(principal: Principal, batchId: string): Promise<BatchSnapshot> {
    const batch = permitted(cancelBatch(principal, await this.feeds.getBatch(batchId)), batchId);
    const records = await this.batchJobs.records(batchId, batch.snapshot.total);
    const unended = records.filter((record) => !isTerminalStatus(record.snapshot.status));
    await Promise.all(unended.map((record) => this.jobs.cancelUnended(record)));
    return this.get(principal, batchId);
  }

  /** A token that reads and watches this batch and each of its jobs. */
  async watchToken(principal: Principal, batchId: string): Promise<WatchToken> {
    permitted(mintBatchWatchToken(principal, await this.feeds.getBatch(batchId)), batchId);
    return this.watchTokens.mintFor({ batch: batchId });
  }
}

function permitted(verdict: BatchVerdict<BatchRecord>, batchId: string): BatchRecord {
  if (verdict.permitted) return verdict.batch;
  throw verdict.answer === 'not-found' ? batchNotFound(batchId) : ApiException.forbidden(verdict);
}
