import { TERMINAL_STATUSES, isTerminalEvent, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import type { JobEventLog, JobRecord } from '@jobcast/job-log';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { LiveEventListener, LiveJobEvents } from './live-job-events';

const RETRY_READ_MS = 1000;
/** Where every idle watch's task chain starts: one shared promise rather than one per watch. */
const NOTHING_PENDING = Promise.resolve();

/** Where a watch delivers, for as long as it lives: a socket, an SSE response. */
export interface WatchSink {
  /** Events in seq order, each with a higher seq than any delivered before. */
  deliver(events: readonly JobEvent[]): void;
  /** The terminal event went out; nothing more will come. */
  finish(): void;
}

/**
 * One watcher of one job: delivers every event with seq > afterSeq exactly once, in seq order. It joins
 * the live feed before it reads the log, holds live events back until the backlog is out, drops what it
 * already sent and re-reads the log for any gap, so neither a race nor a dropped Redis message can
 * cost a watcher an event.
 */
/** What every watch of a gateway uses, held once by the factory rather than by each watch. */
export interface WatchServices {
  eventLog: JobEventLog;
  live: LiveJobEvents;
  logger: Logger;
  openWatches: Gauge;
}

export class JobWatch implements LiveEventListener {
  private lastSeq: number;
  private tail: Promise<void> = NOTHING_PENDING;
  /** Tasks in `tail` not yet done; while none are, the next event in order goes out at once. */
  private pending = 0;
  private closed = false;

  constructor(
    readonly jobId: string,
    afterSeq: number,
    private readonly services: WatchServices,
    private readonly sink: WatchSink,
  ) {
    this.lastSeq = afterSeq;
    services.openWatches.inc();
  }

  /**
   * Joins the feed, reads the snapshot and backlog, and hands them to `begin` (the subscribe answer, the SSE
   * head: sent before any live event) if `authorize` accepts the record. `begin` is not kept afterwards, so
   * whatever it holds (a request, its ack) is not held for the watch's whole life. `reset` says the log
   * could not give every event after `afterSeq` (see `readBacklog`). Otherwise closes: 'not-found' when the
   * job does not exist or is refused, 'closed' when the watch was closed meanwhile.
   */
  async start(
    authorize: (record: JobRecord) => boolean,
    begin: (snapshot: JobSnapshot, backlog: JobEvent[], reset: boolean) => void,
  ): Promise<'started' | 'not-found' | 'closed'> {
    let backlogSent!: () => void;
    this.pending += 1;
    this.tail = new Promise((resolve) => (backlogSent = resolve));
    try {
      await this.services.live.watch(this.jobId, this);
      const read = await this.readBacklog();
      if (this.closed) return 'closed';
      if (!read || !authorize(read.record)) {
        this.close();
        return 'not-found';
      }
      const { snapshot } = read.record;
      begin(snapshot, read.events, read.reset);
      // After a reset the snapshot is the truth: the watch goes on from the log's newest event.
      if (read.reset) this.lastSeq = snapshot.lastSeq;
      if (read.events.length > 0) this.advance(read.events);
      // Resumed at or past the end of a finished job: nothing more will come.
      if (!this.closed && TERMINAL_STATUSES.includes(snapshot.status) && this.lastSeq >= snapshot.lastSeq) {
        this.close();
        this.sink.finish();
      }
      return 'started';
    } catch (error) {
      this.close();
      throw error;
    } finally {
      this.taskDone();
      backlogSent();
    }
  }

  onEvents(events: readonly JobEvent[]): void {
    // The hot path, once per burst per watcher: in order and nothing queued, so no promise is needed, and the
    // burst is passed on as is, so every socket that gets it shares one encoded frame.
    if (this.pending === 0 && !this.closed && followsOn(events, this.lastSeq)) {
      this.emit(events);
      return;
    }
    this.enqueue(async () => {
      const fresh = events.filter((event) => event.seq > this.lastSeq);
      if (fresh.length === 0) return;
      // A gap before the burst: the log has the missing events, and the burst too, since it was published
      // before this read.
      if (followsOn(fresh, this.lastSeq)) this.emit(fresh);
      else await this.fillGap();
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onResync(): void {
    this.enqueue(() => this.fillGap());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.services.openWatches.dec();
    this.services.live.unwatch(this.jobId, this);
  }

  /**
   * The record and the events after `afterSeq`, and whether that is a reset: the log no longer holds the
   * event right after `afterSeq` (trimmed by JOB_LOG_MAX_EVENTS), or `afterSeq` is past the job's last seq
   * (Redis lost its last writes), in which case the backlog is the whole log.
   */
  private async readBacklog(): Promise<{ record: JobRecord; events: JobEvent[]; reset: boolean } | null> {
    const { eventLog } = this.services;
    const read = await eventLog.readSince(this.jobId, this.lastSeq);
    if (!read) return null;
    const { lastSeq } = read.record.snapshot;
    if (this.lastSeq > lastSeq) {
      const whole = await eventLog.readSince(this.jobId, 0);
      return whole && { ...whole, reset: true };
    }
    const first = read.events[0];
    return { ...read, reset: this.lastSeq < lastSeq && (first === undefined || first.seq > this.lastSeq + 1) };
  }

  private async fillGap(): Promise<void> {
    const read = await this.services.eventLog.readSince(this.jobId, this.lastSeq);
    const fresh = read?.events.filter((event) => event.seq > this.lastSeq) ?? [];
    if (fresh.length > 0) this.emit(fresh);
  }

  private emit(events: readonly JobEvent[]): void {
    if (this.closed) return;
    this.sink.deliver(events);
    this.advance(events);
  }

  private advance(events: readonly JobEvent[]): void {
    const last = events[events.length - 1] as JobEvent;
    this.lastSeq = last.seq;
    // A job logs nothing after its terminal event, so only the last of a burst can be one.
    if (isTerminalEvent(last)) {
      this.close();
      this.sink.finish();
    }
  }

  /** Once nothing is queued, the watch lets go of its finished chain of tasks. */
  private taskDone(): void {
    this.pending -= 1;
    if (this.pending === 0) this.tail = NOTHING_PENDING;
  }

  private enqueue(task: () => Promise<void>): void {
    this.pending += 1;
    this.tail = this.tail
      .then(() => (this.closed ? undefined : task()))
      .finally(() => this.taskDone())
      .catch((error: unknown) => {
        // Redis is away; try again shortly, since the event we may have missed could be the last one.
        this.services.logger.warn({ err: error, jobId: this.jobId }, 'watch could not read the log; retrying');
        setTimeout(() => this.onResync(), RETRY_READ_MS).unref();
      });
  }
}

/** True when the events are the ones right after `lastSeq`: lastSeq + 1, lastSeq + 2, … */
export function followsOn(events: readonly JobEvent[], lastSeq: number): boolean {
  for (let i = 0; i < events.length; i += 1) if (events[i]?.seq !== lastSeq + 1 + i) return false;
  return events.length > 0;
}
