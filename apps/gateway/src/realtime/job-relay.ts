import { TERMINAL_STATUSES, isTerminalEvent, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import type { JobEventLog, JobRecord } from '@jobcast/job-log';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { LiveEventListener, LiveJobEvents } from './live-job-events';
import type { Subscription } from './subscription';

const RETRY_READ_MS = 1000;

/** Where a relay delivers, for as long as it lives: a socket, an SSE response. */
export interface RelaySink {
  /** Events in seq order, each with a higher seq than any delivered before. */
  deliver(events: readonly JobEvent[]): void;
  /** The terminal event went out; nothing more will come. */
  finish(): void;
  /**
   * Undefined while the connection takes writes at once; else resolves once what was delivered has gone
   * out. The next page of the log is read only then.
   */
  whenWritable(): Promise<void> | undefined;
}

/** What every relay of a gateway uses, held once by the factory rather than by each relay. */
export interface RelayServices {
  eventLog: JobEventLog;
  live: LiveJobEvents;
  logger: Logger;
  openRelays: Gauge;
  /** Events read from the log at a time: what a subscribe's answer carries at most. */
  pageSize: number;
}

/**
 * One connection's relay of one job's events: delivers every event with seq > afterSeq exactly once, in seq order. It joins the
 * live feed before it reads the log, and while it reads the log (the backlog, or a gap) it holds live events
 * back (up to a page; past that they only say there is more to read: the log has them too, since they were
 * logged before they were published), then sends those that follow on from what the read gave.
 * So neither a race nor a dropped Redis message can cost a watcher an event. The log is read a page at a
 * time, the next page once the connection has taken the last, so a long backlog costs the gateway one page
 * per relay, however slowly its connection reads. Live events that follow on are passed on as they come.
 */
export class JobRelay implements LiveEventListener, Subscription {
  private lastSeq: number;
  /** A read of the log is under way (or waits for the connection, or to retry): live events wait for it. */
  private reading = true;
  /** Something may have been logged after the current read began that is not held: read again when it is done. */
  private behind = false;
  /**
   * Live events that came during a read, up to a page: sent right after it when they follow on, which spares
   * the read a subscribe racing live events would otherwise cost. Past a page the relay reads again instead.
   */
  private held: JobEvent[] | undefined = undefined;
  private closed = false;

  constructor(
    readonly jobId: string,
    afterSeq: number,
    private readonly services: RelayServices,
    private readonly sink: RelaySink,
  ) {
    this.lastSeq = afterSeq;
    services.openRelays.inc();
  }

  /**
   * Joins the feed, reads the snapshot and the first page of the backlog, and hands them to `begin` (the
   * subscribe answer, the SSE head: sent before any further event) if `authorize` accepts the record; `more`
   * says the backlog goes on past that page, and the rest follows as events. `begin` is not kept afterwards, so whatever it holds (a request,
   * its ack) is not held for the relay's whole life. `reset` says the log could not give every event after
   * `afterSeq` (see `readFirstPage`). Otherwise closes: 'not-found' when the job does not exist or is
   * refused, 'closed' when the relay was closed meanwhile.
   */
  async start(
    authorize: (record: JobRecord) => boolean,
    begin: (snapshot: JobSnapshot, backlog: JobEvent[], reset: boolean, more: boolean) => void,
  ): Promise<'started' | 'not-found' | 'closed'> {
    let more = false;
    try {
      await this.services.live.watch(this.jobId, this);
      const read = await this.readFirstPage();
      if (this.closed) return 'closed';
      if (!read || !authorize(read.record)) {
        this.close();
        return 'not-found';
      }
      const { snapshot } = read.record;
      const { events, reset } = read;
      // The page and the snapshot were read together, so the page ends at the snapshot's seq unless it is cut.
      more = events.length > 0 && (events.at(-1) as JobEvent).seq < snapshot.lastSeq;
      begin(snapshot, events, reset, more);
      // After a reset the relay goes on from what the log holds.
      if (reset) this.lastSeq = events.length > 0 ? (events[0] as JobEvent).seq - 1 : snapshot.lastSeq;
      if (events.length > 0) this.advance(events);
      // Resumed at or past the end of a finished job: nothing more will come.
      if (!this.closed && TERMINAL_STATUSES.includes(snapshot.status) && this.lastSeq >= snapshot.lastSeq) {
        this.close();
        this.sink.finish();
      }
      this.sendHeld(more);
      return 'started';
    } catch (error) {
      this.close();
      throw error;
    } finally {
      if (!this.closed && (more || this.behind)) this.readOn();
      else this.reading = false;
    }
  }

  onEvents(events: readonly JobEvent[]): void {
    if (this.closed) return;
    if (this.reading) return this.hold(events);
    // The hot path, once per burst per watcher: the burst is passed on as is, so every socket that gets it
    // shares one encoded frame.
    if (followsOn(events, this.lastSeq)) return this.emit(events);
    const fresh = events.filter((event) => event.seq > this.lastSeq);
    if (fresh.length === 0) return;
    if (followsOn(fresh, this.lastSeq)) return this.emit(fresh);
    // A gap before the burst: the log has the burst and whatever came before it.
    this.behind = true;
    this.readOn();
  }

  /** A job's relay is keyed by its job id. */
  get key(): string {
    return this.jobId;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onResync(): void {
    this.behind = true;
    if (!this.reading) this.readOn();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.services.openRelays.dec();
    this.services.live.unwatch(this.jobId, this);
  }

  /**
   * The record and the first page of events after `afterSeq`, and whether that is a reset: the log no longer
   * holds the event right after `afterSeq` (trimmed by JOB_LOG_MAX_EVENTS), or `afterSeq` is past the job's
   * last seq (Redis lost its last writes), in which case the backlog is the whole log.
   */
  private async readFirstPage(): Promise<{ record: JobRecord; events: JobEvent[]; reset: boolean } | null> {
    const { eventLog, pageSize } = this.services;
    const read = await eventLog.readSince(this.jobId, this.lastSeq, pageSize);
    if (!read) return null;
    const { lastSeq } = read.record.snapshot;
    if (this.lastSeq > lastSeq) {
      const whole = await eventLog.readSince(this.jobId, 0, pageSize);
      return whole && { ...whole, reset: true };
    }
    const first = read.events[0];
    return { ...read, reset: this.lastSeq < lastSeq && (first === undefined || first.seq > this.lastSeq + 1) };
  }

  /**
   * Reads the log on from the last seq delivered, a page at a time, each once the connection has taken the
   * one before, until a read comes back short with nothing logged since it began. Only one runs per relay
   * (`reading`); a read that fails (Redis away) is tried again shortly, since the event it missed could be
   * the last one.
   */
  private readOn(): void {
    this.reading = true;
    this.readPages().then(
      () => {
        this.reading = false;
      },
      (error: unknown) => {
        this.services.logger.warn({ err: error, jobId: this.jobId }, 'relay could not read the log; retrying');
        this.behind = true;
        setTimeout(() => {
          if (!this.closed) this.readOn();
        }, RETRY_READ_MS).unref();
      },
    );
  }

  private async readPages(): Promise<void> {
    const { eventLog, pageSize } = this.services;
    let more = true;
    while (!this.closed && (more || this.behind)) {
      await this.sink.whenWritable();
      if (this.closed) return;
      this.behind = false;
      const read = await eventLog.readSince(this.jobId, this.lastSeq, pageSize);
      if (!read) return;
      const fresh = read.events.filter((event) => event.seq > this.lastSeq);
      if (fresh.length > 0) this.emit(fresh);
      more = read.events.length === pageSize;
      this.sendHeld(more);
    }
  }

  /** Keeps a live burst that came during a read, up to a page; past that, the next read brings it. */
  private hold(events: readonly JobEvent[]): void {
    if (this.behind) return;
    const held = (this.held ??= []);
    if (held.length + events.length > this.services.pageSize) {
      this.held = undefined;
      this.behind = true;
      return;
    }
    for (const event of events) held.push(event);
  }

  /**
   * After a read: sends what was held during it when it follows on from what went out. When the log has more
   * to read, the held events are dropped (the reads that follow bring them); when they do not follow on, the
   * next read does.
   */
  private sendHeld(more: boolean): void {
    const held = this.held;
    this.held = undefined;
    if (!held || this.closed || more) return;
    const fresh = held.filter((event) => event.seq > this.lastSeq);
    if (fresh.length === 0) return;
    if (followsOn(fresh, this.lastSeq)) this.emit(fresh);
    else this.behind = true;
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
}

/** True when the events are the ones right after `lastSeq`: lastSeq + 1, lastSeq + 2, … */
export function followsOn(events: readonly JobEvent[], lastSeq: number): boolean {
  for (let i = 0; i < events.length; i += 1) if (events[i]?.seq !== lastSeq + 1 + i) return false;
  return events.length > 0;
}
