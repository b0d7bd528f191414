import {
  DisconnectReason,
  JOBS_NAMESPACE,
  SocketEvent,
  type DisconnectNotice,
  type Feed,
  type FeedSubscribeAck,
  type SocketAuth,
  type SubscribeAck,
} from '@jobcast/contracts/protocol';
import { io, type Socket } from 'socket.io-client';
import type { ConnectionHandlers, GatewayConnection, Transport } from './gateway-connection';

/** Socket.IO transports, in order of preference (Socket.IO's default: polling, then upgrade to websocket). */
export type SocketIoTransports = ('websocket' | 'polling')[];

const DISCONNECT_REASONS: ReadonlySet<unknown> = new Set(Object.values(DisconnectReason));

/** The gateway's notice, if it is one this client understands; anything else counts as no notice. */
export function parseNotice(raw: unknown): DisconnectNotice | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { reason, message } = raw as Record<string, unknown>;
  return DISCONNECT_REASONS.has(reason) && typeof message === 'string'
    ? { reason: reason as DisconnectReason, message }
    : undefined;
}

/**
 * A connection over Socket.IO (namespace `/jobs`), without Socket.IO's own reconnecting: the client does
 * its own, so that each attempt can go to the next gateway with a freshly fetched token.
 */
class SocketIoConnection implements GatewayConnection {
  private readonly socket: Socket;
  private notice: DisconnectNotice | undefined;

  constructor(url: string, token: string, handlers: ConnectionHandlers, transports?: SocketIoTransports) {
    this.socket = io(url.replace(/\/+$/, '') + JOBS_NAMESPACE, {
      forceNew: true,
      reconnection: false,
      // Batches: a burst of a job's events costs one packet instead of one each.
      auth: { token, batch: true } satisfies SocketAuth,
      ...(transports && { transports }),
    });
    const { socket } = this;
    socket.on('connect', () => handlers.connected());
    socket.on('connect_error', (error) => handlers.refused(error.message));
    socket.on('disconnect', () => handlers.disconnected(this.notice));
    socket.on(SocketEvent.DISCONNECT_NOTICE, (notice: unknown) => (this.notice = parseNotice(notice)));
    socket.on(SocketEvent.JOB_EVENT, (raw: unknown) => handlers.event(raw));
    socket.on(SocketEvent.JOB_EVENTS, (burst: unknown) => {
      if (Array.isArray(burst)) for (const raw of burst as unknown[]) handlers.event(raw);
    });
    socket.on(SocketEvent.FEED_JOBS, (raw: unknown) => handlers.feedJobs(raw));
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  subscribe(jobId: string, afterSeq: number, timeoutMs: number, answer: (ack: SubscribeAck | undefined) => void): void {
    this.socket
      .timeout(timeoutMs)
      .emit(SocketEvent.SUBSCRIBE, { jobId, afterSeq }, (error: Error | null, ack: SubscribeAck) =>
        answer(error ? undefined : ack),
      );
  }

  unsubscribe(jobId: string, timeoutMs: number, answered: (confirmed: boolean) => void): void {
    this.socket.timeout(timeoutMs).emit(SocketEvent.UNSUBSCRIBE, { jobId }, (error: Error | null) => answered(!error));
  }

  subscribeFeed(
    feed: Feed,
    since: string | undefined,
    timeoutMs: number,
    answer: (ack: FeedSubscribeAck | undefined) => void,
  ): void {
    this.socket
      .timeout(timeoutMs)
      .emit(
        SocketEvent.SUBSCRIBE,
        { feed, ...(since !== undefined && { since }) },
        (error: Error | null, ack: FeedSubscribeAck) => answer(error ? undefined : ack),
      );
  }

  unsubscribeFeed(feed: Feed, timeoutMs: number, answered: (confirmed: boolean) => void): void {
    this.socket.timeout(timeoutMs).emit(SocketEvent.UNSUBSCRIBE, { feed }, (error: Error | null) => answered(!error));
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}

export function socketIoTransport(transports?: SocketIoTransports): Transport {
  return (url, token, handlers) => new SocketIoConnection(url, token, handlers, transports);
}
