import { isTerminalEvent, isTerminalStatus, type JobEvent, type JobSnapshot } from '@jobcast/contracts/protocol';
import { applyEvent } from './apply-event';
import { classifyEvent, type EventOrder } from './event-order';
import { OutputText, type JobOutput } from './job-output';
import { ClientErrorCode, JobcastError } from './jobcast-error';
import { callListener } from './listeners';
import { isKnownEvent } from './wire-checks';

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
   * When the gateway could not give every event after the last one delivered: the job's log was trimmed
   * (its length is capped), or it is behind what this watch saw (Redis lost its last writes). The snapshot
   * passed is the truth; the watch goes on delivering from the log's position. Returns a function that
   * removes the listener.
   */
  onReset(listener: (snapshot: JobSnapshot) => void): () => void;
  /**
   * Yields the events delivered from the moment iteration starts, up to and including the terminal one.
   * Ends quietly when the watch or client is closed, throws when `done` rejects for any other reason.
   * Breaking out of the loop stops this iterator only, not the watch.
   */
  [Symbol.asyncIterator](): AsyncIterator<JobEvent>;
  /**
   * The job's output stream `key` (`ctx.stream(key)` in its handler): the text so far, a listener per piece,
   * async iteration. Any key may be asked for at any time: the watch keeps every stream's text.
   */
  output(key: string): JobOutput;
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
  /**
   * The ack says the job ended, but its terminal event was not delivered: the caller resumed after it.
   * `done` still needs it, so it is read again from the log.
   */
  private terminalMissing = false;
  private resolveDone!: (event: JobEvent) => void;
  private rejectDone!: (error: Error) => void;
  private failure: Error | undefined;
  private readonly eventListeners = new Set<(event: JobEvent) => void>();
  private readonly snapshotListeners = new Set<(snapshot: JobSnapshot) => void>();
  private readonly resetListeners = new Set<(snapshot: JobSnapshot) => void>();
  /** Wakes iterators waiting for an event or the end. */
  private readonly wakers = new Set<() => void>();
  private readonly outputs = new Map<string, OutputText>();
  /** The seq of the last event the output streams include: a reset rebuilds them from its backlog at once. */
  private outputSeq = 0;

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

  onReset(listener: (snapshot: JobSnapshot) => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
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

  output(key: string): JobOutput {
    let output = this.outputs.get(key);
    if (!output) {
      output = new OutputText(key, this);
      this.outputs.set(key, output);
    }
    return output;
  }

  close(): void {
    if (this.ended) return;
    this.end(new JobcastError(ClientErrorCode.CLOSED, `Stopped watching job ${this.jobId}`));
    this.owner.release(this, true);
  }

  /**
   * A subscribe ack: the job's current snapshot and the logged events after the requested seq; `reset` when
   * the gateway says the log could not give all of them (for the lowest seq any watch of the job needed),
   * `more` when the backlog goes on past these events and follows as live events.
   */
  start(snapshot: JobSnapshot, backlog: readonly JobEvent[], { reset = false, more = false } = {}): void {
    if (this.ended) return;
    const resetHere = reset && isResetFor(this.seq, snapshot, backlog);
    if (resetHere) for (const listener of [...this.resetListeners]) callListener(listener, snapshot);
    if (!this.current || snapshot.lastSeq >= this.current.lastSeq || resetHere) this.setSnapshot(snapshot);
    if (resetHere) this.rebuildOutputs(backlog);
    // The snapshot and backlog are read together, so the backlog is all the log still holds up to
    // snapshot.lastSeq: a seq missing from it was trimmed (the log is capped) and will never come.
    // Taking the ack as is, and moving past what it skipped, keeps a gap check from re-reading forever.
    for (const event of backlog)
      this.accept(event, classifyEvent(this.seq, event) === 'duplicate' ? 'duplicate' : 'next');
    // Behind what this watch saw, the log is the truth from now on: its next seq is the next event, the one
    // after the backlog when more of it follows.
    const backlogEnd = more ? (backlog.at(-1)?.seq ?? snapshot.lastSeq) : snapshot.lastSeq;
    this.seq = resetHere ? backlogEnd : Math.max(this.seq, backlogEnd);
    // Asked once: the terminal event is the log's newest entry, so one re-read brings it, and if the
    // log were broken, asking again would only loop.
    const refetched = this.terminalMissing;
    this.terminalMissing = !this.ended && !refetched && !more && isTerminalStatus(snapshot.status);
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
    // A listener may have closed the watch halfway through a backlog.
    if (this.ended) return;
    // An event type this client does not know (a newer gateway's) takes its seq and is otherwise ignored.
    if (order === 'next' && !isKnownEvent(event)) this.seq = event.seq;
    else if (order === 'next') {
      const delivered = startsAfter(event, this.seq);
      this.seq = event.seq;
      if (this.current) this.setSnapshot(applyEvent(this.current, delivered));
      if (delivered.type === 'output' && delivered.seq > this.outputSeq) {
        this.outputSeq = delivered.seq;
        (this.output(delivered.data.key) as OutputText).append(delivered.data);
      }
      for (const listener of [...this.eventListeners]) callListener(listener, delivered);
    }
    // A terminal event settles the watch even as a duplicate: a caller resuming after the job's end
    // already has it, but `done` still needs it.
    if (isTerminalEvent(event) && !this.ended) this.finish(event);
  }

  /**
   * After a reset, every output stream is what the log holds: the text of the backlog's `output` events
   * (which starts later than the stream did when the log was trimmed).
   */
  private rebuildOutputs(backlog: readonly JobEvent[]): void {
    const texts = new Map<string, string>([...this.outputs.keys()].map((key) => [key, '']));
    for (const event of backlog) {
      if (event.type === 'output') texts.set(event.data.key, (texts.get(event.data.key) ?? '') + event.data.text);
    }
    this.outputSeq = backlog.at(-1)?.seq ?? this.outputSeq;
    for (const [key, text] of texts) (this.output(key) as OutputText).replace(text);
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

/**
 * A conflated event as this watch saw it: its `fromSeq` may reach back into seqs the watch already
 * delivered (it was conflated for a subscription that started earlier), and is trimmed so a watcher's
 * events always read as one unbroken run of seqs.
 */
function startsAfter(event: JobEvent, lastSeq: number): JobEvent {
  return event.fromSeq !== undefined && event.fromSeq <= lastSeq ? { ...event, fromSeq: lastSeq + 1 } : event;
}

/** Whether the ack skips events this watch still needs, or is behind what it delivered. */
function isResetFor(lastSeq: number, snapshot: JobSnapshot, backlog: readonly JobEvent[]): boolean {
  if (lastSeq > snapshot.lastSeq) return true;
  const next = backlog.find((event) => event.seq > lastSeq);
  return next !== undefined && (next.fromSeq ?? next.seq) > lastSeq + 1;
}

function isClosed(error: Error): boolean {
  return error instanceof JobcastError && error.code === ClientErrorCode.CLOSED;
}
