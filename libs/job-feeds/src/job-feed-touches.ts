import { applyEvent, isTerminalStatus, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import type { JobEventLog } from '@jobcast/job-log';
import { FeedTouchPacer } from './feed-touch-pacer';
import type { JobFeeds } from './job-feeds';

/** A job as a touch needs it: its owner (which its snapshot does not carry) and its snapshot. */
export interface TouchedJob {
  owner: string;
  snapshot: JobSnapshot;
}

export interface JobFeedTouchesOptions {
  /** FEED_MAX_HZ: a job's progress touches its feeds at most this often a second. */
  maxHz: number;
  /** A touch that failed off the caller's path (a paced or held-back one): logged, the next change repairs it. */
  onError: (error: unknown, jobId: string) => void;
}

/**
 * The write hook of feeds, one per process, for everything that appends to a job's log (a worker's event
 * writer, a gateway's submits, cancels, external reports and lease expiries): each change of a job touches
 * its feeds (JobFeeds.touchJob) as FeedTouchPacer decides. A status change is touched at once and its
 * promise resolves once it is done; held-back progress is touched by a timer of its own. A terminal state is
 * touched whenever it is offered, even again (at least once: a batch counts a snapshot only once).
 */
export class JobFeedTouches {
  private readonly pacer: FeedTouchPacer;
  /** The owner of each snapshot the pacer may hold back; it goes with the snapshot once the pacer drops it. */
  private readonly owners = new WeakMap<JobSnapshot, string>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly feeds: JobFeeds,
    private readonly eventLog: JobEventLog,
    private readonly options: JobFeedTouchesOptions,
  ) {
    this.pacer = new FeedTouchPacer(options.maxHz);
    this.intervalMs = 1000 / options.maxHz;
  }

  /** The job changed to `job`: touches its feeds now when due (resolving once done), or later when paced. */
  async offer(job: TouchedJob, now = Date.now()): Promise<void> {
    const snapshot = { ...job.snapshot };
    this.owners.set(snapshot, job.owner);
    const due = this.pacer.offer(snapshot, now) ?? (isTerminalStatus(snapshot.status) ? snapshot : undefined);
    this.schedule(now);
    if (due) await this.feeds.touchJob({ owner: job.owner, snapshot: due });
  }

  /** The job changed and the caller holds no snapshot of it: reads the record back and offers it. */
  async changed(jobId: string): Promise<void> {
    const record = await this.eventLog.getRecord(jobId);
    if (record) await this.offer(record);
  }

  /** A tracker for a writer that appends one job's events one by one (a worker's event writer). */
  track(jobId: string): JobFeedTracker {
    return new JobFeedTracker(jobId, this, this.eventLog);
  }

  /** Stops the timer; held-back progress is dropped (the job's next change, or its end, carries it). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Touches what the pacer held back, when it is due; and lets the pacer forget quiet jobs. */
  private schedule(now: number): void {
    if (this.timer !== undefined || this.pacer.size === 0) return;
    const at = this.pacer.nextDueAt() ?? now + this.intervalMs;
    this.timer = setTimeout(() => this.touchDue(), Math.max(0, at - now));
    this.timer.unref();
  }

  private touchDue(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const snapshot of this.pacer.due(now)) {
      const owner = this.owners.get(snapshot);
      if (owner === undefined) continue;
      this.feeds.touchJob({ owner, snapshot }).catch((error: unknown) => this.options.onError(error, snapshot.id));
    }
    this.schedule(now);
  }
}

/**
 * One job's snapshot as its writer appends events, so its feeds are touched without reading the job back
 * after each event: read once (at the first event, or when events came from elsewhere between two of its
 * own, such as a cancel logged by a gateway), then moved by each event as the log moves it (applyEvent).
 * Touches run one after another, off the writer's path: `appended` resolves when the touch it asked for now
 * is done, which a writer awaits for a terminal event only.
 */
export class JobFeedTracker {
  private job: TouchedJob | null | undefined;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly jobId: string,
    private readonly touches: JobFeedTouches,
    private readonly eventLog: JobEventLog,
  ) {}

  /** The event was appended to the job's log. */
  appended(event: JobEvent): Promise<void> {
    return this.then(async () => {
      const held = this.job;
      if (held && event.seq === held.snapshot.lastSeq + 1) {
        this.job = { owner: held.owner, snapshot: applyEvent(held.snapshot, event) };
      } else if (!held || event.seq > held.snapshot.lastSeq) {
        this.job = await this.read();
      }
      if (this.job) await this.touches.offer(this.job);
    });
  }

  /** An append was refused because the job had ended elsewhere: its end is touched again (at least once). */
  endedElsewhere(): Promise<void> {
    return this.then(async () => {
      this.job = await this.read();
      if (this.job) await this.touches.offer(this.job);
    });
  }

  private async read(): Promise<TouchedJob | null> {
    const record = await this.eventLog.getRecord(this.jobId);
    return record && { owner: record.owner, snapshot: record.snapshot };
  }

  private then(step: () => Promise<void>): Promise<void> {
    const done = this.tail.then(step);
    this.tail = done.catch(() => undefined);
    return done;
  }
}
