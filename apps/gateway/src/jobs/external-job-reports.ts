import { HttpStatus, Injectable } from '@nestjs/common';
import { ErrorCode, isTerminalEvent, type AppendEventsRequest } from '@jobcast/contracts';
import { JobFeedTouches } from '@jobcast/job-feeds';
import { JobEventLog, JobLogAppendError } from '@jobcast/job-log';
import { appendEvents } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { ApiException } from '../http/api-exception';
import { LeaseReaper } from './lease-reaper';
import { DEFAULT_LEASE_MS } from './new-job';
import { RateLimits } from './rate-limits';

/** `POST /jobs/:id/events`: the events of an external job, from the service that runs it. */
@Injectable()
export class ExternalJobReports {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly rateLimits: RateLimits,
    private readonly leases: LeaseReaper,
    private readonly feedTouches: JobFeedTouches,
  ) {}

  /**
   * Appends the job's events in order, all or none, renewing its lease (or ending it with the terminal
   * event); a retry with the same idempotency key appends nothing and answers the same `lastSeq`.
   */
  async append(
    principal: Principal,
    jobId: string,
    request: AppendEventsRequest,
    idempotencyKey: string | undefined,
  ): Promise<number> {
    const verdict = appendEvents(principal, await this.eventLog.getRecord(jobId));
    if (!verdict.permitted) throw ApiException.refused(verdict, jobId);
    await this.rateLimits.consumeAppend(jobId);
    const ends = isTerminalEvent(request.events.at(-1) ?? { type: 'log' });
    const now = Date.now();
    const leaseUntil = now + (verdict.job.external?.leaseMs ?? DEFAULT_LEASE_MS);
    try {
      const lastSeq = await this.eventLog.appendBatch(
        jobId,
        request.events,
        { ...(idempotencyKey !== undefined && { idempotencyKey }), ...(!ends && { leaseUntil }) },
        now,
      );
      await Promise.all([
        ends ? this.leases.forget(jobId) : this.leases.track(jobId, leaseUntil),
        this.feedTouches.changed(jobId),
      ]);
      return lastSeq;
    } catch (error) {
      if (!(error instanceof JobLogAppendError)) throw error;
      if (error.reason === ErrorCode.JOB_FINISHED) {
        // Its end may have missed its feeds (a gateway died after appending it): they get it at least once.
        await this.feedTouches.changed(jobId);
        throw new ApiException(ErrorCode.JOB_FINISHED, HttpStatus.CONFLICT, `Job ${jobId} has already ended`);
      }
      throw ApiException.jobNotFound(jobId);
    }
  }
}
