import type { JobEvent } from '@jobcast/contracts';
import type { Logger } from 'pino';
import type { DeliveryTransport, GatewayMetrics } from '../metrics/gateway-metrics';

/** How an outbox reaches one kind of connection (a Socket.IO socket, a plain WebSocket, an SSE response). */
export interface OutboxTransport<Peer> {
  readonly name: DeliveryTransport;
  /** True while the peer's transport holds so much unsent that further events should wait in the outbox. */
  isBusy(peer: Peer): boolean;
  /** Sends events of one job, in seq order. */
  write(peer: Peer, events: readonly JobEvent[]): void;
  /** Calls `onDrain` once, when the peer's transport has taken what it held. */
  onceDrained(peer: Peer, onDrain: () => void): void;
  /** Tells the peer why, where the transport can, and disconnects it: it fell too far behind. */
  dropSlow(peer: Peer): void;
}

/**
 * An answer to one of the peer's requests (a subscribe's snapshot and first page of the log, an error, a
 * pong): it waits in line with events, and counts toward the bound as the events it carries, plus one.
 */
interface HeldAnswer {
  send: () => void;
  weight: number;
}

type Held = JobEvent | HeldAnswer;

function isAnswer(held: Held): held is HeldAnswer {
  return 'send' in held;
}

/** What waits for a peer that does not keep up. */
interface Backlog<Peer> {
  peer: Peer;
  held: Array<Held | undefined>;
  head: number;
  /** The weight of what waits: an event counts one, an answer its `weight`. */
  waiting: number;
  /** Where each job's newest waiting event sits in `held`, to find a progress event to replace. */
  newestByJob: Map<string, number>;
  /** Called once nothing waits here any more and the transport takes writes again. */
  whenEmpty: Array<() => void>;
  /** Dropped for SLOW_CONSUMER: nothing more goes out. */
  overflowed: boolean;
}

/** What `whenWritable` answers for a peer already dropped: it never takes another write. */
const NEVER: Promise<void> = new Promise(() => undefined);

/**
 * Everything a transport sends its peers, bounded per connection; every transport has one, with the same
 * policy. While a peer keeps up, events and answers go straight out. When its transport holds a backlog of
 * its own, they wait here in order, and a waiting progress event is replaced by a newer progress of the same
 * job (the newer one carries `fromSeq`, so the client knows the skipped seqs were superseded progress).
 * Nothing else is dropped: once more than SOCKET_MAX_PENDING_EVENTS wait (lifecycle and log events, and
 * answers by the events they carry), the peer is dropped as a slow consumer and resumes from its last seq.
 * So what a connection that stops reading costs the gateway is bounded, whatever it asks for. Only peers
 * with something waiting have any state here.
 */
export class Outbox<Peer extends object> {
  private readonly backlogs = new Map<Peer, Backlog<Peer>>();

  constructor(
    private readonly transport: OutboxTransport<Peer>,
    private readonly maxPendingEvents: number,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  get transportName(): DeliveryTransport {
    return this.transport.name;
  }

  deliver(peer: Peer, events: readonly JobEvent[]): void {
    const backlog = this.backlogs.get(peer);
    if (!backlog && !this.transport.isBusy(peer)) {
      this.send(peer, events);
      return;
    }
    if (backlog?.overflowed) return;
    const held = backlog ?? this.openBacklog(peer);
    for (const event of events) this.holdEvent(held, event);
    this.checkBound(held);
  }

  /**
   * Sends an answer to the peer now, or in its turn once what waits before it has gone out. `eventCount` is
   * how many events it carries, so that a peer asking for large answers it never reads is dropped as soon
   * as one asking for events would be.
   */
  answer(peer: Peer, send: () => void, eventCount = 0): void {
    const backlog = this.backlogs.get(peer);
    if (!backlog && !this.transport.isBusy(peer)) {
      send();
      return;
    }
    if (backlog?.overflowed) return;
    const held = backlog ?? this.openBacklog(peer);
    const weight = 1 + eventCount;
    held.held.push({ send, weight });
    held.waiting += weight;
    this.checkBound(held);
  }

  /**
   * Undefined while the peer takes writes at once; otherwise resolves when everything waiting for it has
   * gone out. A watch reads its next page of the log only then, so a backlog is read as fast as the peer
   * takes it, never faster, and never held here in full.
   */
  whenWritable(peer: Peer): Promise<void> | undefined {
    let backlog = this.backlogs.get(peer);
    if (!backlog) {
      if (!this.transport.isBusy(peer)) return undefined;
      backlog = this.openBacklog(peer);
    }
    if (backlog.overflowed) return NEVER;
    const { whenEmpty } = backlog;
    return new Promise((resolve) => whenEmpty.push(resolve));
  }

  /**
   * Drops the peer as a slow consumer now: what waits for it elsewhere (a feed's jobs, conflated per job) went
   * past the bound.
   */
  overflow(peer: Peer): void {
    const backlog = this.backlogs.get(peer) ?? this.openBacklog(peer);
    if (!backlog.overflowed) this.dropSlow(backlog);
  }

  forget(peer: Peer): void {
    this.backlogs.delete(peer);
  }

  /** The peer's transport took everything it had: send what waits here, as far as it takes it. */
  private drained(backlog: Backlog<Peer>): void {
    const { peer } = backlog;
    if (backlog.overflowed || this.backlogs.get(peer) !== backlog) return;
    while (backlog.head < backlog.held.length && !this.transport.isBusy(peer)) {
      const index = backlog.head;
      const next = backlog.held[index] as Held;
      backlog.held[index] = undefined;
      backlog.head += 1;
      if (isAnswer(next)) {
        backlog.waiting -= next.weight;
        next.send();
        continue;
      }
      backlog.waiting -= 1;
      if (backlog.newestByJob.get(next.jobId) === index) backlog.newestByJob.delete(next.jobId);
      this.send(peer, [next]);
    }
    if (backlog.head < backlog.held.length || this.transport.isBusy(peer)) {
      this.transport.onceDrained(peer, () => this.drained(backlog));
      return;
    }
    this.backlogs.delete(peer);
    for (const resolve of backlog.whenEmpty) resolve();
  }

  private openBacklog(peer: Peer): Backlog<Peer> {
    const backlog: Backlog<Peer> = {
      peer,
      held: [],
      head: 0,
      waiting: 0,
      newestByJob: new Map(),
      whenEmpty: [],
      overflowed: false,
    };
    this.backlogs.set(peer, backlog);
    this.transport.onceDrained(peer, () => this.drained(backlog));
    return backlog;
  }

  private holdEvent(backlog: Backlog<Peer>, event: JobEvent): void {
    const newest = backlog.newestByJob.get(event.jobId);
    const previous = newest === undefined ? undefined : backlog.held[newest];
    if (
      newest !== undefined &&
      previous &&
      !isAnswer(previous) &&
      previous.type === 'progress' &&
      event.type === 'progress'
    ) {
      backlog.held[newest] = { ...event, fromSeq: previous.fromSeq ?? previous.seq };
      this.metrics.eventsConflated.inc();
      return;
    }
    backlog.newestByJob.set(event.jobId, backlog.held.length);
    backlog.held.push(event);
    backlog.waiting += 1;
  }

  private checkBound(backlog: Backlog<Peer>): void {
    if (backlog.waiting > this.maxPendingEvents) this.dropSlow(backlog);
  }

  private dropSlow(backlog: Backlog<Peer>): void {
    backlog.overflowed = true;
    // What waits is of no further use: the peer resumes from its last seq elsewhere.
    backlog.held = [];
    backlog.newestByJob.clear();
    backlog.whenEmpty = [];
    this.metrics.slowConsumerDisconnects.inc();
    this.logger.warn({ transport: this.transport.name }, 'slow consumer disconnected');
    this.transport.dropSlow(backlog.peer);
  }

  private send(peer: Peer, events: readonly JobEvent[]): void {
    this.transport.write(peer, events);
    this.metrics.recordDelivered(events.length, this.transport.name);
  }
}
