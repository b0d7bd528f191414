import { DisconnectReason, SocketEvent, type JobEvent } from '@jobcast/contracts';
import type { OutboxTransport } from '../outbox';
import { wantsBatches, type JobsSocket } from './jobs-socket';
import { jobEventFrame, jobEventsFrame, type EncodedFrame } from './socket-io-frames';

/** Packets Socket.IO may hold for a socket before the outbox starts holding (and conflating) events itself. */
const TRANSPORT_HIGH_WATER = 32;

const SLOW_CONSUMER_NOTICE = {
  reason: DisconnectReason.SLOW_CONSUMER,
  message: 'too many events waiting for this connection; reconnect and resume from your last seq',
} as const;

/**
 * Packets Engine.IO holds for a connection that its transport has not taken yet. Read from the engine
 * rather than counted with listeners on every connection: at tens of thousands of idle sockets, three
 * listeners each are a noticeable share of a socket's memory.
 */
function transportBacklog(socket: JobsSocket): number {
  return (socket.conn as unknown as { writeBuffer: readonly unknown[] }).writeBuffer.length;
}

function write(socket: JobsSocket, frame: EncodedFrame): void {
  socket.conn.send(frame.packet, frame.options);
}

/**
 * The outbox's way to a Socket.IO socket: a burst of one job's events as one `job:events` packet when the
 * client opted in to batches, else a `job:event` each, written as frames encoded once for every socket
 * (what socket.emit would write, without encoding it again per socket).
 */
export const socketIoTransport: OutboxTransport<JobsSocket> = {
  name: 'socket',
  isBusy: (socket) => transportBacklog(socket) >= TRANSPORT_HIGH_WATER,
  write(socket, events: readonly JobEvent[]) {
    if (events.length > 1 && wantsBatches(socket)) {
      write(socket, jobEventsFrame(events));
    } else {
      for (const event of events) write(socket, jobEventFrame(event));
    }
  },
  onceDrained: (socket, onDrain) => socket.conn.once('drain', onDrain),
  dropSlow(socket) {
    socket.emit(SocketEvent.DISCONNECT_NOTICE, SLOW_CONSUMER_NOTICE);
    socket.disconnect(true);
  },
};
