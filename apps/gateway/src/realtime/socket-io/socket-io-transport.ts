import { DisconnectReason, type JobEvent } from '@jobcast/contracts';
import { onceTransportDrained, transportBacklog, wantsBatches } from '../framework-internals';
import type { OutboxTransport } from '../outbox';
import { disconnectWithNotice } from './disconnect-with-notice';
import type { JobsSocket } from './jobs-socket';
import { jobEventFrame, jobEventsFrame, type EncodedFrame } from './socket-io-frames';

/**
 * What Socket.IO may hold for a socket before the outbox starts holding (and conflating) events itself:
 * packets, and bytes, since one subscribe answer can carry a page of the log.
 */
const TRANSPORT_HIGH_WATER = { packets: 32, bytes: 64 * 1024 };

function isBusy(socket: JobsSocket): boolean {
  const backlog = transportBacklog(socket);
  if (backlog.length === 0) return false;
  if (backlog.length >= TRANSPORT_HIGH_WATER.packets) return true;
  let bytes = 0;
  for (const packet of backlog) bytes += typeof packet.data === 'string' ? packet.data.length : 0;
  return bytes >= TRANSPORT_HIGH_WATER.bytes;
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
  isBusy,
  write(socket, events: readonly JobEvent[]) {
    if (events.length > 1 && wantsBatches(socket)) {
      write(socket, jobEventsFrame(events));
    } else {
      for (const event of events) write(socket, jobEventFrame(event));
    }
  },
  onceDrained: onceTransportDrained,
  dropSlow: (socket) => disconnectWithNotice(socket, DisconnectReason.SLOW_CONSUMER),
};
