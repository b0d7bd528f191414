import { isTerminalEvent, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import { applyEvent } from './apply-event';
import { classifyEvent, type EventOrder } from './event-order';
import { ClientErrorCode, JobcastError } from './jobcast-error';

export interface WatchOptions {
  /** Deliver only events with a greater seq: the last seq this caller already has (default 0: all). */
  afterSeq?: number;
}

/** One caller's view of one job's events, resumed across reconnects. */
export interface JobWatch extends AsyncIterable<JobEvent> {
  readonly jobId: string;
  /** The job's state, from the first subscribe ack on, kept current by each event. */
  readonly snapshot: JobSnapshot | undefined;
  /** The seq of the last event delivered (or the `afterSeq` asked for, before any). */
  readonly lastSeq: number;
  /** Settles with the terminal event; rejects with a `JobcastError` when the watch can never get it. */
  readonly done: Promise<JobEvent>;
  /** Each event once, in seq order, the ack's backlog first. Returns a function that removes the listener. */
  onEvent(listener: (event: JobEvent) => void): () => void;
  /** Each time the snapshot changes. Returns a function that removes the listener. */
  onSnapshot(listener: (snapshot: JobSnapshot) => void): () => void;
  /**
   * Yields the events delivered from the moment iteration starts, up to and including the terminal one.
   * Ends quietly when the watch or client is closed, throws when `done` rejects for any other reason.
   * Breaking out of the loop stops this iterator only, not the watch.
   */
  [Symbol.asyncIterator](): AsyncIterator<JobEvent>;
  /** Stops watching: unsubscribes, and rejects `done` with `CLOSED` unless the job already ended. */
  close(): void;
}

/** How a cursor tells the job's subscription it needs no more events. */
export interface CursorOwner {
  /** `unsubscribe` is false when the server already dropped the subscription (after the terminal event). */
  release(cursor: JobCursor, unsubscribe: boolean): void;
}

/**
 * The `JobWatch` behind the API: one caller's position in a job's event sequence. It drops what it
 * already delivered, reports gaps to its subscription, and keeps the snapshot and outcome.
 */
export class JobCursor implements JobWatch {
  readonly done: Promise<JobEvent>;
  private current: JobSnapshot | undefined;
  private seq: number;
  private ended = false;
  /** The job ended before `afterSeq` (a caller resuming late): the terminal event must be fetched again to settle `done`. */
  private terminalMissing = false;
  private resolveDone!: (event: JobEvent) => void;
  private rejectDone!: (error: Error) => void;
  private failure: Error | undefined;
  private readonly eventListeners = new Set<(event: JobEvent) => void>();
  private readonly snapshotListeners = new Set<(snapshot: JobSnapshot) => void>();
  /** Wakes iterators waiting for an event or the end. */
  private readonly wakers = new Set<() => void>();

  constructor(
    readonly jobId: string,
    afterSeq: number,
    private readonly owner: CursorOwner,
  ) {
    this.seq = afterSeq;
    this.done = new Promise<JobEvent>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A caller that only listens with onEvent must not get an unhandled rejection for a `done` it never read.
    this.done.catch(() => undefined);
  }

  get snapshot(): JobSnapshot | undefined {
    return this.current;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Whether this cursor still wants events. */
  get open(): boolean {
    return !this.ended;
  }

  /** The `afterSeq` to subscribe with so this cursor gets all it still needs. */
  get resumeAfter(): number {
    return this.terminalMissing && this.current ? Math.max(0, this.current.lastSeq - 1) : this.seq;
  }

  /** Whether the last ack left this cursor waiting for a terminal event it had skipped. */
  get needsTerminal(): boolean {
    return this.terminalMissing;
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onSnapshot(listener: (snapshot: JobSnapshot) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<JobEvent, void, undefined> {
    const queue: JobEvent[] = [];
    let wake: (() => void) | undefined;
    const waker = (): void => wake?.();
    const stopListening = this.onEvent((event) => {
      queue.push(event);
      waker();
    });
    this.wakers.add(waker);
    try {
      for (;;) {
        const event = queue.shift();
        if (event) {
          yield event;
          if (isTerminalEvent(event)) return;
        } else if (this.ended) {
          if (this.failure && !isClosed(this.failure)) throw this.failure;
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    } finally {
      stopListening();
      this.wakers.delete(waker);
    }
  }

  close(): void {
    if (this.ended) return;
    this.end(new JobcastError(ClientErrorCode.CLOSED, `Stopped watching job ${this.jobId}`));
    this.owner.release(this, true);
  }

  /** A subscribe ack: the job's current snapshot and the logged events after the requested seq. */
  start(snapshot: JobSnapshot, backlog: readonly JobEvent[]): void {
    if (this.ended) return;
    if (!this.current || snapshot.lastSeq >= this.current.lastSeq) this.setSnapshot(snapshot);
    // The ack is everything the log still holds after afterSeq, so it is taken as is: a log trimmed to
    // its cap cannot be re-read, and asking again would loop.
    for (const event of backlog)
      this.accept(event, classifyEvent(this.seq, event) === 'duplicate' ? 'duplicate' : 'next');
    this.terminalMissing = !this.ended && isTerminalStatus(snapshot) && snapshot.lastSeq <= this.seq;
  }

  /** A live event; answers 'gap' when events before it are missing and must be re-read. */
  offer(event: JobEvent): EventOrder {
    if (this.ended) return 'duplicate';
    const order = classifyEvent(this.seq, event);
    if (order !== 'gap') this.accept(event, order);
    return order;
  }

  /** Ends the watch for good: JOB_NOT_FOUND, a token the gateways keep refusing, the client closing. */
  fail(error: Error): void {
    if (!this.ended) this.end(error);
  }

  private accept(event: JobEvent, order: 'next' | 'duplicate'): void {
    if (order === 'next') {
      this.seq = event.seq;
      if (this.current) this.setSnapshot(applyEvent(this.current, event));
      for (const listener of [...this.eventListeners]) callListener(listener, event);
    }
    // A terminal event settles the watch even as a duplicate: a caller resuming after the job's end
    // already has it, but `done` still needs it.
    if (isTerminalEvent(event) && !this.ended) this.finish(event);
  }

  private finish(terminal: JobEvent): void {
    this.ended = true;
    this.terminalMissing = false;
    this.resolveDone(terminal);
    this.wakeAll();
    // The gateway drops a subscription after its terminal event, so there is nothing to unsubscribe.
    this.owner.release(this, false);
  }

  private end(error: Error): void {
    this.ended = true;
    this.failure = error;
    this.rejectDone(error);
    this.wakeAll();
  }

  private setSnapshot(snapshot: JobSnapshot): void {
    if (snapshot === this.current) return;
    this.current = snapshot;
    for (const listener of [...this.snapshotListeners]) callListener(listener, snapshot);
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

function isClosed(error: Error): boolean {
  return error instanceof JobcastError && error.code === ClientErrorCode.CLOSED;
}

function isTerminalStatus(snapshot: JobSnapshot): boolean {
  return snapshot.status === 'completed' || snapshot.status === 'failed' || snapshot.status === 'cancelled';
}

/**
 * Calls a caller's listener; if it throws, the error is rethrown on its own so it still surfaces as
 * uncaught, while this watch's delivery (and its seq bookkeeping) carries on.
 */
function callListener<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
