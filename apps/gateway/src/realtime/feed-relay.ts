import { isTerminalStatus, type BatchSnapshot, type JobSnapshot } from '@jobcast/contracts';
import { decodeFeedCursor, type FeedPage, type FeedPosition, type FeedUpdate, type JobFeeds } from '@jobcast/job-feeds';
import type { FeedIdentity } from '@jobcast/redis';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { FeedUpdateListener, LiveFeedUpdates } from './live-feed-updates';
import type { Subscription } from './subscription';

const RETRY_READ_MS = 1000;

/** What a feed relay sends after its answer: changed jobs, the cursor after them, the batch as it is then. */
export interface FeedDelivery {
  jobs: JobSnapshot[];
  cursor: string;
  batch?: BatchSnapshot;
  /** The feed lost its history while subscribed: `jobs` is its first page again. */
  reset?: true;
}

/** Where a feed relay delivers, for as long as it lives. */
export interface FeedSink {
  deliver(delivery: FeedDelivery): void;
  /** Undefined while the connection takes writes at once; else resolves once what was sent has gone out. */
  whenWritable(): Promise<void> | undefined;
  /** More jobs wait than the connection's bound, even conflated: it is dropped as a slow consumer. */
  overflow(): void;
}

/** What every feed relay of a gateway uses, held once by the factory. */
export interface FeedRelayServices {
  feeds: JobFeeds;
  live: LiveFeedUpdates;
  logger: Logger;
  openRelays: Gauge;
  /** Jobs read at a time: what an answer or an update carries at most. */
  pageSize: number;
  /** Jobs that may wait, conflated, for a connection that does not keep up (SOCKET_MAX_PENDING_EVENTS). */
  maxPending: number;
}

/**
 * Where a relay is, as JobRelay's states: `reading` (a read of the feed under way; live changes are held, up
 * to a page), `reading-behind` (another read follows: changes are left to it), `live`, `closed`.
 */
export type FeedRelayState = 'reading' | 'reading-behind' | 'live' | 'closed';

/** What waits for a connection that does not keep up: each job's newest snapshot, in the order of changes. */
interface Pending {
  jobs: Map<string, JobSnapshot>;
  cursor: string;
  batch?: BatchSnapshot;
  reset?: true;
}

/**
 * One connection's subscription to a feed: its answer (a page and a cursor), then every change of the feed
 * after that cursor, each job at its state then, with the cursor to resume after it.
 *
 * The same discipline as JobRelay: it joins the feed's channel before it reads the feed, so a change the read
 * did not see arrives live; a change the live channel missed is found by the feed's clock, which moves by one
 * per change (a change after a gap, or a resync, makes it read the feed again from the last cursor it
 * accepted). The feed store answers that read with every job changed since, at its current state, or with a
 * reset when it cannot. `position` is the cursor of the last change accepted: every transition checks
 * changes against it.
 *
 * A connection that does not keep up gets each job's newest snapshot only (a terminal one is never replaced
 * by one that is not), all of them together with the newest cursor once it takes writes again, so the cursor
 * it holds never runs ahead of what it got; past `maxPending` jobs waiting it is dropped, and resumes by its
 * cursor.
 */
export class FeedRelay implements FeedUpdateListener, Subscription {
  private state: FeedRelayState = 'reading';
  private position: FeedPosition | undefined;
  private cursor: string | undefined;
  /** In `reading`: the changes that came during the read, up to a page. */
  private held: FeedUpdate[] | undefined;
  private pending: Pending | undefined;

  constructor(
    readonly key: string,
    private readonly feed: FeedIdentity,
    private readonly since: string | undefined,
    private readonly services: FeedRelayServices,
    private readonly sink: FeedSink,
  ) {
    services.openRelays.inc();
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  get currentState(): FeedRelayState {
    return this.state;
  }

  /**
   * Joins the feed's channel, reads its first page (after `since`, when given) and hands it to `begin` (the
   * subscribe answer), then goes on reading (while `since` left more to read) or live. 'closed' when the relay
   * was closed meanwhile. FeedCursorError for a `since` the feed store did not give; other errors when the
   * feed could not be read.
   */
  async start(begin: (page: FeedPage) => void): Promise<'started' | 'closed'> {
    let readAgain = false;
    try {
      await this.services.live.watch(this.feed, this);
      const page = await this.services.feeds.read(this.feed, {
        ...(this.since !== undefined && { since: this.since }),
        limit: this.services.pageSize,
      });
      if (this.state === 'closed') return 'closed';
      begin(page);
      this.accept(page.cursor);
      // Without `since`, or after a reset, `more` says older jobs exist: nothing more to read here.
      readAgain = this.endRead(this.since !== undefined && !page.reset && page.more === true);
      return 'started';
    } catch (error) {
      this.close();
      throw error;
    } finally {
      if (readAgain) this.readOn();
    }
  }

  onUpdate(update: FeedUpdate): void {
    if (this.state === 'live') return this.passOn(update);
    if (this.state === 'reading') this.hold(update);
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
    this.pending = undefined;
    this.services.openRelays.dec();
    this.services.live.unwatch(this.feed, this);
  }

  /** `live`: a change right after the last one accepted goes out; one already had is dropped; a gap is read. */
  private passOn(update: FeedUpdate): void {
    const order = this.orderOf(update);
    if (order === 'next') return this.emit({ jobs: [update.job], cursor: update.cursor, ...batchOf(update) });
    if (order === 'had') return;
    this.fallBehind();
    this.readOn();
  }

  private hold(update: FeedUpdate): void {
    const held = (this.held ??= []);
    if (held.length >= this.services.pageSize) return this.fallBehind();
    held.push(update);
  }

  private fallBehind(): void {
    if (this.state === 'closed') return;
    this.state = 'reading-behind';
    this.held = undefined;
  }

  /**
   * A read is done (its jobs delivered, its cursor accepted): answers whether to read again, else goes `live`
   * after passing on what was held, when it follows on from the read.
   */
  private endRead(more: boolean): boolean {
    if (this.state === 'closed') return false;
    const held = this.held;
    this.held = undefined;
    if (more || this.state === 'reading-behind') return true;
    for (const update of held ?? []) {
      const order = this.orderOf(update);
      if (order === 'gap') return true;
      if (order === 'next') this.emit({ jobs: [update.job], cursor: update.cursor, ...batchOf(update) });
    }
    this.state = 'live';
    return false;
  }

  /** Reads the feed on from the last cursor accepted, a page at a time, each once the connection took the last. */
  private readOn(): void {
    this.readPages().catch((error: unknown) => {
      this.services.logger.warn({ err: error, feed: this.feed.kind }, 'feed relay could not read; retrying');
      this.fallBehind();
      setTimeout(() => {
        if (this.state !== 'closed') this.readOn();
      }, RETRY_READ_MS).unref();
    });
  }

  private async readPages(): Promise<void> {
    let again = true;
    while (again) {
      await this.sink.whenWritable();
      if (this.state === 'closed' || this.cursor === undefined) return;
      this.state = 'reading';
      const page = await this.services.feeds.read(this.feed, { since: this.cursor, limit: this.services.pageSize });
      // Closed while reading (TypeScript keeps `state` narrowed across the await; `isOpen` reads it anew).
      if (!this.isOpen) return;
      this.emit({
        jobs: page.jobs,
        cursor: page.cursor,
        ...(page.batch && { batch: page.batch }),
        ...(page.reset && { reset: true }),
      });
      again = this.endRead(!page.reset && page.more === true);
    }
  }

  /** Where a change stands against the last one accepted: the next, one already had, or after a gap. */
  private orderOf(update: FeedUpdate): 'next' | 'had' | 'gap' {
    const { epoch, clock } = decodeFeedCursor(update.cursor);
    const position = this.position as FeedPosition;
    // A feed that had no epoch when read gets one with its first change, at clock 1.
    if (epoch !== position.epoch && !(position.epoch === '' && position.clock === 0)) return 'gap';
    if (clock <= position.clock) return epoch === position.epoch ? 'had' : 'gap';
    return clock === position.clock + 1 ? 'next' : 'gap';
  }

  private accept(cursor: string): void {
    this.cursor = cursor;
    this.position = decodeFeedCursor(cursor);
  }

  /**
   * Sends the jobs now while the connection takes writes, or keeps them, conflated per job, until it does:
   * whatever waits goes out together with the newest cursor, so a cursor never runs ahead of the jobs sent.
   */
  private emit(delivery: FeedDelivery): void {
    if (this.state === 'closed') return;
    this.accept(delivery.cursor);
    if (!this.pending && this.sink.whenWritable() === undefined) return this.sink.deliver(delivery);
    const pending = this.pending ?? this.waitForWritable(delivery.cursor);
    for (const job of delivery.jobs) {
      const waiting = pending.jobs.get(job.id);
      if (waiting && (waiting.lastSeq >= job.lastSeq || isTerminalStatus(waiting.status))) continue;
      // Moved to the end: the jobs go out in the order of their latest change.
      pending.jobs.delete(job.id);
      pending.jobs.set(job.id, job);
    }
    pending.cursor = delivery.cursor;
    if (delivery.batch) pending.batch = delivery.batch;
    if (delivery.reset) pending.reset = true;
    if (pending.jobs.size > this.services.maxPending) {
      this.close();
      this.sink.overflow();
    }
  }

  private waitForWritable(cursor: string): Pending {
    const pending: Pending = { jobs: new Map(), cursor };
    this.pending = pending;
    const flush = (): void => {
      if (this.pending !== pending) return;
      const writable = this.sink.whenWritable();
      if (writable) {
        void writable.then(flush);
        return;
      }
      this.pending = undefined;
      this.sink.deliver({
        jobs: [...pending.jobs.values()],
        cursor: pending.cursor,
        ...(pending.batch && { batch: pending.batch }),
        ...(pending.reset && { reset: true }),
      });
    };
    void (this.sink.whenWritable() ?? Promise.resolve()).then(flush);
    return pending;
  }
}

function batchOf(update: FeedUpdate): { batch?: BatchSnapshot } {
  return update.batch ? { batch: update.batch } : {};
}
