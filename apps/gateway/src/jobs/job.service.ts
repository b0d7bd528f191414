import { HttpStatus, Injectable } from '@nestjs/common';
import { ErrorCode, isTerminalStatus, type JobSnapshot, type WatchToken } from '@jobcast/contracts';
import { JobFeedTouches } from '@jobcast/job-feeds';
import { JobCancellation, JobEventLog, type JobRecord } from '@jobcast/job-log';
import { cancelJob, mintWatchToken, readJob } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { WatchTokens } from '../auth/watch-tokens';
import { ApiException } from '../http/api-exception';
import { JobQueue } from './job-queue';
import { LeaseReaper } from './lease-reaper';

/** Reading and cancelling jobs, and minting their watch tokens, for whoever the access policy lets. */
@Injectable()
export class JobService {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly cancellation: JobCancellation,
    private readonly queue: JobQueue,
    private readonly leases: LeaseReaper,
    private readonly watchTokens: WatchTokens,
    private readonly feedTouches: JobFeedTouches,
  ) {}

  /** The job's record, or JOB_NOT_FOUND when it does not exist or the principal may not read it. */
  async getReadable(principal: Principal, jobId: string): Promise<JobRecord> {
    const verdict = readJob(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    return verdict.job;
  }

  /**
   * Cancels a queued or running job: its cancellation is requested (JobCancellation), then a job no worker
   * holds (queued, or external) is taken off the queue and logged `cancelled` here; a running one's worker
   * logs `cancelled` once its handler stops. Cancelling a cancelled job answers it as it is.
   */
  async cancel(principal: Principal, jobId: string): Promise<JobSnapshot> {
    const verdict = cancelJob(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    const { snapshot } = verdict.job;
    if (snapshot.status === 'cancelled') return snapshot;
    if (isTerminalStatus(snapshot.status)) {
      throw new ApiException(ErrorCode.JOB_FINISHED, HttpStatus.CONFLICT, `Job ${jobId} already ${snapshot.status}`);
    }
    await this.cancelUnended(verdict.job);
    return (await this.getReadable(principal, jobId)).snapshot;
  }

  /**
   * Cancels a job that has not ended, whose cancel the access policy permitted (its own, or its batch's):
   * logs `cancelled` here for a job no worker holds, and touches its feeds with it.
   */
  async cancelUnended(record: JobRecord): Promise<void> {
    const jobId = record.snapshot.id;
    await this.cancellation.request(jobId);
    if (record.external || (await this.queue.removeUnstarted(jobId, record.snapshot.type))) {
      await this.eventLog
        .append(jobId, { type: 'cancelled', data: { reason: 'cancelled by its owner' } })
        .catch(() => undefined);
      await Promise.all([record.external && this.leases.forget(jobId), this.feedTouches.changed(jobId)]);
    }
  }

  /** A token that reads and watches this job only. */
  async watchToken(principal: Principal, jobId: string): Promise<WatchToken> {
    const verdict = mintWatchToken(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    return this.watchTokens.mint(jobId);
  }
}
