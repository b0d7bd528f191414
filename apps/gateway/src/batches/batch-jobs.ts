import { Injectable } from '@nestjs/common';
import type { JobSnapshot } from '@jobcast/contracts';
import { JobFeeds } from '@jobcast/job-feeds';
import { JobEventLog, type JobRecord } from '@jobcast/job-log';

/** The jobs of a batch, in the order submitted, as the job log holds them now. */
@Injectable()
export class BatchJobs {
  constructor(
    private readonly feeds: JobFeeds,
    private readonly eventLog: JobEventLog,
  ) {}

  /** The records of the batch's jobs that exist (one read each, all sent at once). */
  async records(batchId: string, total: number): Promise<JobRecord[]> {
    const ids = await this.feeds.batchJobIds(batchId, 0, total);
    const records = await Promise.all(ids.map((id) => this.eventLog.getRecord(id)));
    return records.filter((record): record is JobRecord => record !== null);
  }

  async snapshots(batchId: string, total: number): Promise<JobSnapshot[]> {
    return (await this.records(batchId, total)).map((record) => record.snapshot);
  }
}
