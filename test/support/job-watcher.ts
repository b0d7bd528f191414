import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { isTerminal } from './raw-socket';
import { Wakeup } from './wakeup';

/** The three ways docs/protocol.md offers to watch a job. */
export type Transport = 'socket.io' | 'websocket' | 'sse';
export const TRANSPORTS: readonly Transport[] = ['socket.io', 'websocket', 'sse'];

/** How a gateway answered a subscribe (Socket.IO ack, plain WebSocket `subscribed`, SSE status). */
export type SubscribeAnswer =
  | {
      ok: true;
      /** The job as it is now: in the ack and `subscribed`, and in an SSE `reset` frame. */
      snapshot?: JobSnapshot;
      /** SSE's `204`: resumed at the end of a finished job, nothing more to send. */
      nothingMore?: true;
    }
  | { ok: false; code: string };

/** How a watcher's connection ended. */
export interface Ending {
  /** What the gateway said before it ended the connection on purpose: `SLOW_CONSUMER`, `SHUTTING_DOWN` … */
  reason?: string;
  /** The plain WebSocket's close code. */
  closeCode?: number;
  /** The watcher closed it itself. */
  byClient: boolean;
}

/**
 * One connection to one gateway watching one job, whatever the transport: subscribe after a seq, then every
 * event of the job in arrival order (the answer's, then the live ones), every reset, and how the connection
 * ended. A watcher does no repair of its own: what it holds is exactly what the gateway sent.
 */
export interface JobWatcher {
  readonly transport: Transport;
  readonly events: readonly JobEvent[];
  /** The snapshot of each reset the gateway announced. */
  readonly resets: readonly JobSnapshot[];
  /** Settles once the connection has ended, by either side. */
  readonly ended: Promise<Ending>;
  /** Subscribes to the job (once per watcher) after `afterSeq`. */
  subscribe(jobId: string, afterSeq?: number): Promise<SubscribeAnswer>;
  /** Resolves once an event satisfies the predicate (default: a terminal one); fails if the connection ends first. */
  waitFor(predicate?: (event: JobEvent) => boolean, timeoutMs?: number): Promise<JobEvent[]>;
  /** Calls `listener` with each batch of events as it is received (after those received so far). */
  onEvents(listener: (events: readonly JobEvent[]) => void): void;
  /** Stops reading from the network (its TCP socket is paused, so the gateway's writes pile up); answers how to read again. */
  stopReading(): () => void;
  close(): void;
}

/** What every transport's watcher shares: the events and resets received, waiting for them, the ending. */
export abstract class WatcherBase implements Pick<JobWatcher, 'events' | 'resets' | 'ended' | 'waitFor' | 'onEvents'> {
  readonly events: JobEvent[] = [];
  readonly resets: JobSnapshot[] = [];
  readonly ended: Promise<Ending>;
  protected jobId = '';
  private ending: Ending | undefined;
  private settle!: (ending: Ending) => void;
  private readonly listeners: Array<(events: readonly JobEvent[]) => void> = [];
  private readonly wakeup = new Wakeup();

  constructor() {
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  onEvents(listener: (events: readonly JobEvent[]) => void): void {
    this.listeners.push(listener);
  }

  async waitFor(predicate: (event: JobEvent) => boolean = isTerminal, timeoutMs = 60_000): Promise<JobEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const got = () => JSON.stringify(this.events.map((e) => `${e.seq}:${e.type}`)).slice(-1000);
    while (!this.events.some(predicate)) {
      if (this.ending) throw new Error(`the connection ended (${JSON.stringify(this.ending)}); got ${got()}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${got()}`);
      await this.wakeup.next(200);
    }
    return this.events;
  }

  /** Records events of the watched job, in the order received. */
  protected receive(events: readonly JobEvent[]): void {
    const mine = events.filter((event) => event.jobId === this.jobId);
    if (mine.length === 0) return;
    this.events.push(...mine);
    for (const listener of this.listeners) listener(mine);
    this.wakeup.notify();
  }

  protected end(ending: Ending): void {
    if (this.ending) return;
    this.ending = ending;
    this.settle(ending);
    this.wakeup.notify();
  }
}
