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
 * Where a relay is. Live events are handled by state (`onEvents`); every other move is one of the
 * transitions listed on `JobRelay`.
 *
 * - `reading`: a read of the log is under way, or due (waiting for the connection to take the last page, or
 *   to retry a failed read). Live events that come meanwhile are held, up to a page, to be sent after it.
 * - `reading-behind`: the same, but the log holds events after the read's start that are not held (more than
 *   a page came, or the live feed was interrupted): another read follows this one. Live events are left to it.
 * - `live`: caught up; live bursts go out as they come.
 * - `closed`: ended (the terminal event went out, or closed by the connection or the core); nothing more.
 */
export type RelayState = 'reading' | 'reading-behind' | 'live' | 'closed';

/**
 * One connection's relay of one job's events (its subscription to the job): delivers every event with
 * seq > afterSeq exactly once, in seq order, then ends after the terminal event.
 *
 * It rests on two facts: a job's events are logged before they are published, and the relay joins the live
 * feed before it reads the log. So whatever the live feed misses (it was joined late, a Redis message was
 * dropped, the subscriber reconnected), a read of the log begun afterwards has. `lastSeq`, the last seq
 * delivered, is what every transition checks events against.
 *
 * Its transitions, each with the method that makes it and the guarantee it keeps:
 *
 * - (new) → `reading` (`start`): joins the live feed, then reads the snapshot and first page. Nothing missed: the
 *   feed is joined before the log is read.
 * - `reading` → `reading`, a live burst a page can hold (`hold`). Nothing twice: what is held goes out after the
 *   read only where it follows on from what the read gave.
 * - `reading` → `reading-behind`, more than a page held or a resync (`fallBehind`). Nothing lost: what is dropped
 *   is in the log, which is read again.
 * - `reading`/`reading-behind` → `reading-behind`, a read failed (`readOn`). Nothing lost: it is tried again
 *   after RETRY_READ_MS, since the event it missed could be the last one.
 * - `reading`/`reading-behind` → `reading`, a full page read, or behind (`endRead`). Paging: the next page is
 *   read only once the connection took this one, so a slow reader costs the gateway one page.
 * - `reading` → `live`, a short page read (`endRead`), then what was held if it follows on. Order: held events go
 *   out right after the page, with no second read.
 * - `reading` → `reading`, a short page whose held events do not follow on (`endRead`). Gap repair: the next read
 *   brings what is between.
 * - `reading` → `live`, the job is gone from the log (`jobGone`): nothing more to read, no read loop.
 * - `live` → `live`, a burst that follows on, or its part after `lastSeq` (`passOn`). Order and nothing twice:
 *   repeated seqs are dropped, and a whole burst is passed on as the same array (one encoded frame for all).
 * - `live` → `reading-behind`, a burst after a gap, or a resync (`fallBehind`, `readOn`). Gap repair: the log is
 *   read from `lastSeq`.
 * - any → `closed`, the terminal event delivered (`end`). Terminal end: the sink finishes once, the feed is left.
 * - any → `closed`, `close()`: unsubscribed, replaced, not found, or the connection is gone. Late reads and
 *   bursts deliver nothing.
 *
 * The first page answers the subscribe (`start`'s `begin`): when the log cannot give every event after
 * `afterSeq`, that answer says reset and `lastSeq` moves to what the log holds.
 */
export class JobRelay implements LiveEventListener, Subscription {
  private lastSeq: number;
  private state: RelayState = 'reading';
  /** In `reading`: the live events that came during the read, up to a page. */
  private held: JobEvent[] | undefined = undefined;

  constructor(
    readonly jobId: string,
    afterSeq: number,
    private readonly services: RelayServices,
    private readonly sink: RelaySink,
  ) {
    this.lastSeq = afterSeq;
    services.openRelays.inc();
  }

  /** A job's relay is keyed by its job id. */
  get key(): string {
    return this.jobId;
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  /** Where the relay is, for tests and logs. */
  get currentState(): RelayState {
    return this.state;
  }

  /**
   * Joins the feed, reads the snapshot and the first page of the backlog, and hands them to `begin` (the
   * subscribe answer, the SSE head: sent before any further event) if `authorize` accepts the record; `more`
   * says the backlog goes on past that page, and the rest follows as events. `begin` is not kept afterwards,
   * so whatever it holds (a request, its ack) is not held for the relay's whole life. `reset` says the log
   * could not give every event after `afterSeq` (see `readFirstPage`). Otherwise closes: 'not-found' when the
   * job does not exist or is refused, 'closed' when the relay was closed meanwhile.
   */
  async start(
    authorize: (record: JobRecord) => boolean,
    begin: (snapshot: JobSnapshot, backlog: JobEvent[], reset: boolean, more: boolean) => void,
  ): Promise<'started' | 'not-found' | 'closed'> {
    let readAgain = false;
    try {
      await this.services.live.watch(this.jobId, this);
      const read = await this.readFirstPage();
      if (this.state === 'closed') return 'closed';
      if (!read || !authorize(read.record)) {
        this.close();
        return 'not-found';
      }
      const { snapshot } = read.record;
      const { events, reset } = read;
      // The page and the snapshot were read together, so the page ends at the snapshot's seq unless it is cut.
      const more = events.length > 0 && (events.at(-1) as JobEvent).seq < snapshot.lastSeq;
      begin(snapshot, events, reset, more);
      // After a reset the relay goes on from what the log holds.
      if (reset) this.lastSeq = events.length > 0 ? (events[0] as JobEvent).seq - 1 : snapshot.lastSeq;
      if (events.length > 0) this.advance(events);
      // Resumed at or past the end of a finished job: nothing more will come.
      if (this.isOpen && TERMINAL_STATUSES.includes(snapshot.status) && this.lastSeq >= snapshot.lastSeq) {
        this.end();
      }
      readAgain = this.endRead(more);
      return 'started';
    } catch (error) {
      this.close();
      throw error;
    } finally {
      if (readAgain) this.readOn();
    }
  }

  onEvents(events: readonly JobEvent[]): void {
    const { state } = this;
    if (state === 'live') return this.passOn(events);
    if (state === 'reading') this.hold(events);
    // 'reading-behind': the read to come brings them. 'closed': nothing more goes out.
  }

  onResync(): void {
    const wasLive = this.state === 'live';
    this.fallBehind();
    if (wasLive) this.readOn();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.held = undefined;
    this.services.openRelays.dec();
    this.services.live.unwatch(this.jobId, this);
  }

  /** `live`: the hot path, once per burst per watcher. */
  private passOn(events: readonly JobEvent[]): void {
    // The burst is passed on as is, so every socket that gets it shares one encoded frame.
    if (followsOn(events, this.lastSeq)) return this.emit(events);
    const fresh = events.filter((event) => event.seq > this.lastSeq);
    if (fresh.length === 0) return;
    if (followsOn(fresh, this.lastSeq)) return this.emit(fresh);
    // A gap before the burst: the log has the burst and whatever came before it.
    this.fallBehind();
    this.readOn();
  }

  /** `reading`: keeps a live burst that came during a read, up to a page; past that, the log is read again. */
  private hold(events: readonly JobEvent[]): void {
    const held = (this.held ??= []);
    if (held.length + events.length > this.services.pageSize) return this.fallBehind();
    for (const event of events) held.push(event);
  }

  /** To `reading-behind`: what is held is dropped, and the log is read (again) from `lastSeq`. */
  private fallBehind(): void {
    if (this.state === 'closed') return;
    this.state = 'reading-behind';
    this.held = undefined;
  }

  /**
   * A read of the log is done (its events delivered): answers whether to read again, else goes `live`. With
   * more pages to read, what was held is dropped (those reads bring it); a short page is followed by what was
   * held when it follows on, and by another read when it does not.
   */
  private endRead(more: boolean): boolean {
    if (this.state === 'closed') return false;
    const held = this.held;
    this.held = undefined;
    if (more || this.state === 'reading-behind') return true;
    const fresh = held?.filter((event) => event.seq > this.lastSeq);
    if (fresh && fresh.length > 0) {
      if (!followsOn(fresh, this.lastSeq)) return true;
      this.emit(fresh);
      // That was the terminal event.
      if (!this.isOpen) return false;
    }
    this.state = 'live';
    return false;
  }

  /** To `live` from a read that found the job gone from the log (it expired): nothing more to read. */
  private jobGone(): void {
    if (!this.isOpen) return;
    this.held = undefined;
    this.state = 'live';
  }

  /**
   * Reads the log on from `lastSeq`, a page at a time, each once the connection has taken the one before,
   * until a read comes back short with nothing logged since it began that is not held. Only one runs per
   * relay; a read that fails (Redis away) is tried again shortly, since the event it missed could be the last.
   */
  private readOn(): void {
    this.readPages().catch((error: unknown) => {
      this.services.logger.warn({ err: error, jobId: this.jobId }, 'relay could not read the log; retrying');
      this.fallBehind();
      setTimeout(() => {
        if (this.state !== 'closed') this.readOn();
      }, RETRY_READ_MS).unref();
    });
  }

  private async readPages(): Promise<void> {
    const { eventLog, pageSize } = this.services;
    let again = true;
    while (again) {
      await this.sink.whenWritable();
      if (this.state === 'closed') return;
      // A read begins: whatever is logged from now on is in it, or comes live and is held.
      this.state = 'reading';
      const read = await eventLog.readSince(this.jobId, this.lastSeq, pageSize);
      if (!read) return this.jobGone();
      const fresh = read.events.filter((event) => event.seq > this.lastSeq);
      if (fresh.length > 0) this.emit(fresh);
      again = this.endRead(read.events.length === pageSize);
    }
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

  private emit(events: readonly JobEvent[]): void {
    if (this.state === 'closed') return;
    this.sink.deliver(events);
    this.advance(events);
  }

  private advance(events: readonly JobEvent[]): void {
    const last = events[events.length - 1] as JobEvent;
    this.lastSeq = last.seq;
    // A job logs nothing after its terminal event, so only the last of a burst can be one.
    if (isTerminalEvent(last)) this.end();
  }

  /** To `closed` after the terminal event: the sink finishes, once. */
  private end(): void {
    this.close();
    this.sink.finish();
  }
}

/** True when the events are the ones right after `lastSeq`: lastSeq + 1, lastSeq + 2, … */
export function followsOn(events: readonly JobEvent[], lastSeq: number): boolean {
  for (let i = 0; i < events.length; i += 1) if (events[i]?.seq !== lastSeq + 1 + i) return false;
  return events.length > 0;
}
