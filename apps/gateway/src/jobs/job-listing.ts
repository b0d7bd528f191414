import { HttpStatus, Injectable } from '@nestjs/common';
import { ErrorCode, type JobSnapshot, type ListJobsQuery, type ListJobsResponse } from '@jobcast/contracts';
import { JobFeeds, JobTagIndex, type TagIndexScope } from '@jobcast/job-feeds';
import { JobEventLog, type JobRecord } from '@jobcast/job-log';
import { listJobs, mayReadJob, readAccessOf, readBatch, type ListingSource } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { ApiException } from '../http/api-exception';
import { OwnerJobIndex } from './owner-job-index';

/**
 * At most this many candidate jobs are read per request, whatever the filters: a page that finds fewer
 * matches than `limit` within them still answers a `nextCursor` that goes on from there.
 */
export const MAX_EXAMINED_PER_PAGE = 200;

/** Candidates are read this many at a time (one round trip per chunk, the job reads sent at once). */
const CHUNK = 50;

/** Where a listing's candidates come from: a page of job ids, newest first, from a position. */
type CandidateSource = {
  page(offset: number, count: number): Promise<string[]>;
  forget(jobIds: string[]): Promise<void>;
};

/**
 * `GET /jobs`: never a scan. Candidates come, newest first, from one index (an owner's jobs, an owner's or a
 * tenant's jobs with a tag, a batch's jobs), then the other filters are checked on each job's snapshot.
 * The cursor is the position in that index of the next candidate to examine.
 */
@Injectable()
export class JobListing {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly ownerIndex: OwnerJobIndex,
    private readonly tagIndex: JobTagIndex,
    private readonly feeds: JobFeeds,
  ) {}

  async list(principal: Principal, query: ListJobsQuery): Promise<ListJobsResponse> {
    const verdict = listJobs(principal, {
      ...(query.owner !== undefined && { owner: { sub: query.owner } }),
      ...(query.tag !== undefined && { tag: query.tag }),
      ...(query.batch !== undefined && { batch: query.batch }),
    });
    if (!verdict.permitted) throw ApiException.forbidden(verdict);
    const source = await this.candidates(principal, verdict.source);
    const access = readAccessOf(principal);
    const matches = (record: JobRecord | null): record is JobRecord =>
      record !== null &&
      mayReadJob(access, record) &&
      (query.status === undefined || record.snapshot.status === query.status) &&
      (query.type === undefined || record.snapshot.type === query.type) &&
      (query.tag === undefined || (record.snapshot.tags ?? []).includes(query.tag)) &&
      (query.batch === undefined || record.snapshot.batchId === query.batch);

    const jobs: JobSnapshot[] = [];
    let position = query.cursor ? Number(query.cursor) : 0;
    const end = position + MAX_EXAMINED_PER_PAGE;
    while (position < end) {
      const count = Math.min(CHUNK, end - position);
      const ids = await source.page(position, count);
      const records = await Promise.all(ids.map((id) => this.eventLog.getRecord(id)));
      await source.forget(ids.filter((_, i) => records[i] === null));
      for (const record of records) {
        position += 1;
        if (matches(record)) jobs.push(record.snapshot);
        if (jobs.length === query.limit) return { jobs, nextCursor: String(position) };
      }
      // The index has no more.
      if (ids.length < count) return { jobs };
    }
    return { jobs, nextCursor: String(position) };
  }

  private async candidates(principal: Principal, source: ListingSource): Promise<CandidateSource> {
    if (source.kind === 'batch') return this.batchCandidates(principal, source.batchId);
    if (source.kind === 'owner') {
      const { owner } = source;
      return {
        page: (offset, count) => this.ownerIndex.page(owner, offset, count),
        forget: (jobIds) => this.ownerIndex.remove(owner, jobIds),
      };
    }
    const scope: TagIndexScope = source.kind === 'owner-tag' ? { owner: source.owner, tag: source.tag } : source;
    return {
      page: (offset, count) => this.tagIndex.page(scope, offset, count),
      forget: (jobIds) => this.tagIndex.remove(scope, jobIds),
    };
  }

  /** A batch the caller may read (BATCH_NOT_FOUND otherwise): its jobs, the last submitted first. */
  private async batchCandidates(principal: Principal, batchId: string): Promise<CandidateSource> {
    const verdict = readBatch(principal, await this.feeds.getBatch(batchId));
    if (!verdict.permitted) throw batchNotFound(batchId);
    const { total } = verdict.batch.snapshot;
    return {
      // A batch's jobs are listed in the order submitted; newest first is from its end.
      page: async (offset, count) => {
        const last = total - offset;
        if (last <= 0) return [];
        const first = Math.max(0, last - count);
        return (await this.feeds.batchJobIds(batchId, first, last - first)).reverse();
      },
      // The batch's list lives as long as the batch.
      forget: () => Promise.resolve(),
    };
  }
}

/** A batch that does not exist, or that the caller may not read. */
export function batchNotFound(batchId: string): ApiException {
  return new ApiException(ErrorCode.BATCH_NOT_FOUND, HttpStatus.NOT_FOUND, `Batch ${batchId.slice(0, 64)} not found`);
}
