import { isTerminalEvent, type JobEventBody } from '@jobcast/contracts';
import type { JobFeedTracker } from '@jobcast/job-feeds';
import { type JobEventLog, JobLogAppendError } from '@jobcast/job-log';
import type { Logger } from 'pino';
import { JobFinishedElsewhere } from './job-finished-elsewhere';
import type { WorkerMetrics } from './worker-metrics';

/**
 * Appends one running job's events strictly in the order they were made, however the handler interleaves
 * progress, log lines and its own end. Each appended event moves the job's feeds (JobFeedTracker), off the
 * path of the next event; a terminal event's touch is awaited, so the job is acknowledged to its queue only
 * once its feeds (and its batch's counts) have its end.
 */
export class JobEventWriter {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly jobId: string,
    private readonly eventLog: JobEventLog,
    private readonly feeds: JobFeedTracker,
    private readonly logger: Logger,
    private readonly metrics: WorkerMetrics,
  ) {}

  /** Resolves false when the job had already finished, so the event was not logged. */
  append(body: JobEventBody): Promise<boolean> {
    const appended = this.tail.then(() => this.appendNow(body));
    this.tail = appended.catch(() => undefined);
    return appended;
  }

  /** Like append, but a finished job throws JobFinishedElsewhere so the caller stops. */
  async appendOrStop(body: JobEventBody): Promise<void> {
    if (!(await this.append(body))) throw new JobFinishedElsewhere(this.jobId);
  }

  private async appendNow(body: JobEventBody): Promise<boolean> {
    try {
      const event = await this.eventLog.append(this.jobId, body);
      const touched = this.feeds.appended(event);
      if (isTerminalEvent(body)) await touched;
      else touched.catch((error: unknown) => this.logger.warn({ err: error }, 'feed touch failed'));
      if (isTerminalEvent(body)) this.metrics.jobsFinished.inc({ status: body.type });
      if (body.type === 'retrying') this.metrics.attemptsFailed.inc();
      return true;
    } catch (error) {
      if (!(error instanceof JobLogAppendError)) throw error;
      this.logger.info({ jobId: this.jobId, event: body.type, reason: error.reason }, 'event not logged');
      // It ended elsewhere (a cancel, an expiry): its end reaches its feeds at least once.
      await this.feeds.endedElsewhere();
      return false;
    }
  }
}
