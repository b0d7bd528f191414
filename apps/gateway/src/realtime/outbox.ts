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

/** Events held for a peer that does not keep up. */
interface Backlog<Peer> {
  peer: Peer;
  events: Array<JobEvent | undefined>;
  head: number;
  /** Where each job's newest waiting event sits in `events`, to find a progress event to replace. */
  newestByJob: Map<string, number>;
  /** Dropped for SLOW_CONSUMER: nothing more goes out. */
  overflowed: boolean;
}

/**
 * One transport's outbound events, bounded per connection; every transport has one, with the same policy.
 * While a peer keeps up, events go straight out. When its transport has a backlog, events wait here, and a
 * waiting progress event is replaced by a newer progress of the same job (the newer one carries `fromSeq`,
 * so the client knows the skipped seqs were superseded progress). Lifecycle and log events are never
 * dropped; if more than SOCKET_MAX_PENDING_EVENTS of them wait, the peer is dropped as a slow consumer and
 * resumes from its last seq. Only peers with waiting events have any state here.
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
    for (const event of events) this.hold(held, event);
    if (held.events.length - held.head > this.maxPendingEvents) this.overflow(held);
  }

  forget(peer: Peer): void {
    this.backlogs.delete(peer);
  }

  /** The peer's transport took everything it had: send what waits here, as far as it takes it. */
  private drained(backlog: Backlog<Peer>): void {
    const { peer } = backlog;
    if (backlog.overflowed || this.backlogs.get(peer) !== backlog) return;
    while (backlog.head < backlog.events.length && !this.transport.isBusy(peer)) {
      const index = backlog.head;
      const event = backlog.events[index] as JobEvent;
      backlog.events[index] = undefined;
      backlog.head += 1;
      if (backlog.newestByJob.get(event.jobId) === index) backlog.newestByJob.delete(event.jobId);
      this.send(peer, [event]);
    }
    if (backlog.head === backlog.events.length) this.backlogs.delete(peer);
    else this.transport.onceDrained(peer, () => this.drained(backlog));
  }

  private openBacklog(peer: Peer): Backlog<Peer> {
    const backlog: Backlog<Peer> = { peer, events: [], head: 0, newestByJob: new Map(), overflowed: false };
    this.backlogs.set(peer, backlog);
    this.transport.onceDrained(peer, () => this.drained(backlog));
    return backlog;
  }

  private hold(backlog: Backlog<Peer>, event: JobEvent): void {
    const newest = backlog.newestByJob.get(event.jobId);
    const previous = newest === undefined ? undefined : backlog.events[newest];
    if (newest !== undefined && previous?.type === 'progress' && event.type === 'progress') {
      backlog.events[newest] = { ...event, fromSeq: previous.fromSeq ?? previous.seq };
      this.metrics.eventsConflated.inc();
      return;
    }
    backlog.newestByJob.set(event.jobId, backlog.events.length);
    backlog.events.push(event);
  }

  private overflow(backlog: Backlog<Peer>): void {
    backlog.overflowed = true;
    // Its events are of no further use: the peer resumes from its last seq elsewhere.
    backlog.events = [];
    backlog.newestByJob.clear();
    this.metrics.slowConsumerDisconnects.inc();
    this.logger.warn({ transport: this.transport.name }, 'slow consumer disconnected');
    this.transport.dropSlow(backlog.peer);
  }

  private send(peer: Peer, events: readonly JobEvent[]): void {
    this.transport.write(peer, events);
    this.metrics.recordDelivered(events.length, this.transport.name);
  }
}
