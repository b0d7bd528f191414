import { HttpStatus, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  isTerminalStatus,
  type JobSnapshot,
  type ListJobsQuery,
  type ListJobsResponse,
  type WatchToken,
} from '@jobcast/contracts';
import { JobCancellation, JobEventLog, type JobRecord } from '@jobcast/job-log';
import { cancelJob, listJobs, mintWatchToken, readJob } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { WatchTokens } from '../auth/watch-tokens';
import { ApiException } from '../http/api-exception';
import { JobQueue } from './job-queue';
import { LeaseReaper } from './lease-reaper';
import { OwnerJobIndex } from './owner-job-index';

/** Reading, listing and cancelling jobs, and minting their watch tokens, for whoever the access policy lets. */
@Injectable()
export class JobService {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly cancellation: JobCancellation,
    private readonly queue: JobQueue,
    private readonly index: OwnerJobIndex,
    private readonly leases: LeaseReaper,
    private readonly watchTokens: WatchTokens,
  ) {}

  /** The job's record, or JOB_NOT_FOUND when it does not exist or the principal may not read it. */
  async getReadable(principal: Principal, jobId: string): Promise<JobRecord> {
    const verdict = readJob(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    return verdict.job;
  }

  async list(principal: Principal, query: ListJobsQuery): Promise<ListJobsResponse> {
    const verdict = listJobs(principal);
    if (!verdict.permitted) throw ApiException.forbidden(verdict);
    const { owner } = verdict;
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
   * Cancels a queued or running job: its cancellation is requested (JobCancellation), then a job no worker
   * holds (queued, or external) is taken off the queue and logged `cancelled` here; a running one's worker
   * logs `cancelled` once its handler stops. Cancelling a cancelled job answers it as it is.
   */
  async cancel(principal: Principal, jobId: string): Promise<JobSnapshot> {
    const verdict = cancelJob(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    const record = verdict.job;
    const { snapshot } = record;
    if (snapshot.status === 'cancelled') return snapshot;
    if (isTerminalStatus(snapshot.status)) {
      throw new ApiException(ErrorCode.JOB_FINISHED, HttpStatus.CONFLICT, `Job ${jobId} already ${snapshot.status}`);
    }
    await this.cancellation.request(jobId);
    if (record.external || (await this.queue.removeUnstarted(jobId, snapshot.type))) {
      await this.eventLog
        .append(jobId, { type: 'cancelled', data: { reason: 'cancelled by its owner' } })
        .catch(() => undefined);
      if (record.external) await this.leases.forget(jobId);
    }
    return (await this.getReadable(principal, jobId)).snapshot;
  }

  /** A token that reads and watches this job only. */
  async watchToken(principal: Principal, jobId: string): Promise<WatchToken> {
    const verdict = mintWatchToken(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    return this.watchTokens.mint(jobId);
  }
}
