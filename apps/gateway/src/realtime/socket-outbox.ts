import { DisconnectReason, type JobEvent } from '@jobcast/contracts';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { jobEventFrame, jobEventsFrame, type EncodedFrame } from './encoded-events';
import type { JobsSocket } from './jobs-socket';

/** Packets Socket.IO may hold for a socket before the outbox starts holding (and conflating) events itself. */
const TRANSPORT_HIGH_WATER = 32;

/** Events held for a socket that does not keep up; only exists while there are some. */
interface Backlog {
  events: Array<JobEvent | undefined>;
  head: number;
  /** Where each job's newest waiting event sits in `events`, to find a progress event to replace. */
  newestByJob: Map<string, number>;
}

/**
 * A socket's outbound events, bounded. While the socket keeps up, events go straight out: a burst of one
 * job's events as one `job:events` packet when the client opted in to batches, else a `job:event` each.
 * When its transport has a backlog, events wait here, and a waiting progress event is replaced by a newer
 * progress of the same job (the newer one carries `fromSeq`, so the client knows the skipped seqs were
 * superseded progress). Lifecycle and log events are never dropped; if more than `limit` of them wait, the
 * socket is disconnected with SLOW_CONSUMER, and the client resumes from its last seq.
 */
export class SocketOutbox {
  /** Created on the first held event and dropped once drained: most sockets never need one. */
  private backlog: Backlog | undefined;
  private overflowed = false;
  /** Packets in Socket.IO's buffer that its transport has not taken yet (it takes all of them at once). */
  private transportBacklog = 0;

  constructor(
    private readonly socket: JobsSocket,
    /** The client asked for `job:events` in its handshake. */
    private readonly batches: boolean,
    private readonly limit: number,
    private readonly metrics: GatewayMetrics,
    private readonly onOverflow: () => void,
  ) {
    socket.conn.on('packetCreate', () => (this.transportBacklog += 1));
    socket.conn.on('flush', () => (this.transportBacklog = 0));
    socket.conn.on('drain', () => this.flush());
  }

  get waiting(): number {
    return this.backlog ? this.backlog.events.length - this.backlog.head : 0;
  }

  deliver(events: readonly JobEvent[]): void {
    if (this.overflowed) return;
    if (this.waiting === 0 && !this.congested()) {
      this.send(events);
      return;
    }
    for (const event of events) this.hold(event);
    if (this.waiting > this.limit) {
      this.overflowed = true;
      this.onOverflow();
    }
  }

  private hold(event: JobEvent): void {
    const backlog: Backlog = (this.backlog ??= { events: [], head: 0, newestByJob: new Map<string, number>() });
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

  private flush(): void {
    const backlog = this.backlog;
    if (!backlog) return;
    while (backlog.head < backlog.events.length && !this.congested()) {
      const index = backlog.head;
      const event = backlog.events[index] as JobEvent;
      backlog.events[index] = undefined;
      backlog.head += 1;
      if (backlog.newestByJob.get(event.jobId) === index) backlog.newestByJob.delete(event.jobId);
      this.send([event]);
    }
    if (backlog.head === backlog.events.length) this.backlog = undefined;
  }

  private send(events: readonly JobEvent[]): void {
    // The frames socket.emit would write, encoded once for every socket instead of once per socket.
    if (this.batches && events.length > 1) {
      this.write(jobEventsFrame(events));
    } else {
      for (const event of events) this.write(jobEventFrame(event));
    }
    this.metrics.recordDelivered(events.length, 'socket');
  }

  private write(frame: EncodedFrame): void {
    this.socket.conn.send(frame.packet, frame.options);
  }

  private congested(): boolean {
    return this.transportBacklog >= TRANSPORT_HIGH_WATER;
  }
}

export const SLOW_CONSUMER_NOTICE = {
  reason: DisconnectReason.SLOW_CONSUMER,
  message: 'too many events waiting for this connection; reconnect and resume from your last seq',
} as const;
