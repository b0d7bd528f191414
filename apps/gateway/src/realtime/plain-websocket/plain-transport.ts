import { PlainCloseCode, PlainDisconnectReason, type JobEvent, type PlainServerMessage } from '@jobcast/contracts';
import { eventsJson } from '../event-json';
import { onceUnsentDrained, unsentBytes } from '../framework-internals';
import type { OutboxTransport } from '../outbox';
import type { PlainSocket } from './plain-socket';

/** Bytes a plain WebSocket may hold unsent before the outbox starts holding (and conflating) events itself. */
const SOCKET_HIGH_WATER = 64 * 1024;
const TEXT = { binary: false, compress: false } as const;

const NOTICES: Record<PlainDisconnectReason, string> = {
  SHUTTING_DOWN: 'this gateway is restarting; reconnect (to another one) and resume from your last seq',
  SLOW_CONSUMER: 'too many events waiting for this connection; reconnect and resume from your last seq',
  UNAUTHORIZED: 'the token is not valid; do not reconnect without a new one',
  TOKEN_EXPIRED: 'the token has expired; reconnect with a fresh one and resume from your last seq',
  AUTH_TIMEOUT: 'no auth message in time; send {"type":"auth","token"} first',
};

/** Each burst's `events` message, encoded once for every socket that gets the same burst. */
const frameByBurst = new WeakMap<readonly JobEvent[], Buffer>();

function eventsFrame(events: readonly JobEvent[]): Buffer {
  let frame = frameByBurst.get(events);
  if (frame === undefined) {
    const jobId = (events[0] as JobEvent).jobId;
    frame = Buffer.from(`{"type":"events","jobId":${JSON.stringify(jobId)},"events":${eventsJson(events)}}`);
    frameByBurst.set(events, frame);
  }
  return frame;
}

/** Answers a request through the socket's outbox: in line with its events, and counted toward its bound. */
export type PlainReply = (socket: PlainSocket, message: PlainServerMessage) => void;

/** Sends one message, while the socket is open. */
export function sendMessage(socket: PlainSocket, message: PlainServerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message), TEXT);
}

/** A deliberate close: the `disconnect` message saying why, then the reason's close code. */
export function closeWithNotice(socket: PlainSocket, reason: PlainDisconnectReason): void {
  if (socket.readyState !== socket.OPEN) return;
  const notice: PlainServerMessage = { type: 'disconnect', reason, message: NOTICES[reason] };
  socket.send(JSON.stringify(notice), TEXT);
  socket.close(PlainCloseCode[reason], reason);
}

/** The outbox's way to a plain WebSocket: a burst of one job's events is one `events` message. */
export const plainTransport: OutboxTransport<PlainSocket> = {
  name: 'websocket',
  isBusy: (socket) => unsentBytes(socket) > SOCKET_HIGH_WATER,
  write(socket, events) {
    if (socket.readyState === socket.OPEN) socket.send(eventsFrame(events), TEXT);
  },
  onceDrained: onceUnsentDrained,
  dropSlow: (socket) => closeWithNotice(socket, PlainDisconnectReason.SLOW_CONSUMER),
};
