import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import { DisconnectReason, SocketEvent, type JobEvent } from '@jobcast/contracts';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { jobEventFrame, jobEventsFrame, type EncodedFrame } from './encoded-events';
import { wantsBatches, type JobsSocket } from './jobs-socket';

/** Packets Socket.IO may hold for a socket before the outbox starts holding (and conflating) events itself. */
const TRANSPORT_HIGH_WATER = 32;

const SLOW_CONSUMER_NOTICE = {
  reason: DisconnectReason.SLOW_CONSUMER,
  message: 'too many events waiting for this connection; reconnect and resume from your last seq',
} as const;

type EngineConnection = JobsSocket['conn'];

/** Events held for a socket that does not keep up. */
interface Backlog {
  socket: JobsSocket;
  events: Array<JobEvent | undefined>;
  head: number;
  /** Where each job's newest waiting event sits in `events`, to find a progress event to replace. */
  newestByJob: Map<string, number>;
  /** Dropped for SLOW_CONSUMER: nothing more goes out. */
  overflowed: boolean;
}

/**
 * Packets Engine.IO holds for a connection that its transport has not taken yet. Read from the engine
 * rather than counted with listeners on every connection: at tens of thousands of idle sockets, three
 * listeners each are a noticeable share of a socket's memory.
 */
function transportBacklog(connection: EngineConnection): number {
  return (connection as unknown as { writeBuffer: readonly unknown[] }).writeBuffer.length;
}

/**
 * Every socket's outbound events, bounded. While a socket keeps up, events go straight out: a burst of one
 * job's events as one `job:events` packet when the client opted in to batches, else a `job:event` each.
 * When its transport has a backlog, events wait here, and a waiting progress event is replaced by a newer
 * progress of the same job (the newer one carries `fromSeq`, so the client knows the skipped seqs were
 * superseded progress). Lifecycle and log events are never dropped; if more than SOCKET_MAX_PENDING_EVENTS
 * of them wait, the socket is disconnected with SLOW_CONSUMER, and the client resumes from its last seq.
 * Only sockets with waiting events have any state here.
 */
@Injectable()
export class SocketOutbox {
  private readonly backlogs = new Map<EngineConnection, Backlog>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  deliver(socket: JobsSocket, events: readonly JobEvent[]): void {
    const backlog = this.backlogs.get(socket.conn);
    if (!backlog && transportBacklog(socket.conn) < TRANSPORT_HIGH_WATER) {
      this.send(socket, events);
      return;
    }
    if (backlog?.overflowed) return;
    const held = backlog ?? this.openBacklog(socket);
    for (const event of events) this.hold(held, event);
    if (held.events.length - held.head > this.config.SOCKET_MAX_PENDING_EVENTS) this.overflow(held);
  }

  /** The connection's transport took everything it had: send what waits here, as far as it takes it. */
  drained(connection: EngineConnection): void {
    const backlog = this.backlogs.get(connection);
    if (!backlog || backlog.overflowed) return;
    while (backlog.head < backlog.events.length && transportBacklog(connection) < TRANSPORT_HIGH_WATER) {
      const index = backlog.head;
      const event = backlog.events[index] as JobEvent;
      backlog.events[index] = undefined;
      backlog.head += 1;
      if (backlog.newestByJob.get(event.jobId) === index) backlog.newestByJob.delete(event.jobId);
      this.send(backlog.socket, [event]);
    }
    if (backlog.head === backlog.events.length) this.backlogs.delete(connection);
  }

  forget(socket: JobsSocket): void {
    this.backlogs.delete(socket.conn);
  }

  private openBacklog(socket: JobsSocket): Backlog {
    const backlog: Backlog = { socket, events: [], head: 0, newestByJob: new Map(), overflowed: false };
    this.backlogs.set(socket.conn, backlog);
    return backlog;
  }

  private hold(backlog: Backlog, event: JobEvent): void {
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

  private overflow(backlog: Backlog): void {
    const { socket } = backlog;
    backlog.overflowed = true;
    this.metrics.slowConsumerDisconnects.inc();
    this.logger.warn(
      { socket: socket.id, waiting: backlog.events.length - backlog.head },
      'slow consumer disconnected',
    );
    socket.emit(SocketEvent.DISCONNECT_NOTICE, SLOW_CONSUMER_NOTICE);
    socket.disconnect(true);
  }

  private send(socket: JobsSocket, events: readonly JobEvent[]): void {
    // The frames socket.emit would write, encoded once for every socket instead of once per socket.
    if (events.length > 1 && wantsBatches(socket)) {
      write(socket, jobEventsFrame(events));
    } else {
      for (const event of events) write(socket, jobEventFrame(event));
    }
    this.metrics.recordDelivered(events.length, 'socket');
  }
}

function write(socket: JobsSocket, frame: EncodedFrame): void {
  socket.conn.send(frame.packet, frame.options);
}
