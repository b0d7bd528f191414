import {
  DisconnectReason,
  ErrorCode,
  PLAIN_WEBSOCKET_PATH,
  PLAIN_WEBSOCKET_PROTOCOL,
  PlainCloseCode,
  type DisconnectNotice,
  type Feed,
  type FeedSubscribeAck,
  type SubscribeAck,
} from '@jobcast/contracts/protocol';
import type { ConnectionHandlers, GatewayConnection, Transport } from './gateway-connection';
import { webSocketClass, type WebSocketClass } from './web-socket-class';

/** Code a refused or failed connection reports when the gateway gave no reason the client acts on. */
const CONNECTION_FAILED = 'CONNECTION_FAILED';

/** An answer as a Socket.IO ack would have it: a job's or a feed's. */
type Answer = SubscribeAck | FeedSubscribeAck | undefined;

interface Pending {
  settle: (answer: Answer) => void;
  timer: ReturnType<typeof setTimeout>;
}

const NOTICE_REASONS: ReadonlySet<unknown> = new Set(Object.values(DisconnectReason));

/**
 * A connection over the plain WebSocket (`GET /ws`, `jobcast.v1`): authenticates with a first `auth`
 * message (a browser cannot set headers), and matches each answer to its request by `id`.
 */
class PlainWebSocketConnection implements GatewayConnection {
  private readonly socket: WebSocket;
  private welcomed = false;
  private closed = false;
  private notice: DisconnectNotice | undefined;
  private lastId = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(
    url: string,
    token: string,
    private readonly handlers: ConnectionHandlers,
    WebSocketImpl: WebSocketClass,
  ) {
    const address = url.replace(/^http/, 'ws').replace(/\/+$/, '') + PLAIN_WEBSOCKET_PATH;
    const socket = new WebSocketImpl(address, PLAIN_WEBSOCKET_PROTOCOL);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onmessage = (message: MessageEvent) => this.receive(message.data);
    socket.onclose = (close: CloseEvent) => this.onClose(close.code);
  }

  get connected(): boolean {
    return this.welcomed && !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  subscribe(jobId: string, afterSeq: number, timeoutMs: number, answer: (ack: SubscribeAck | undefined) => void): void {
    this.request({ type: 'subscribe', jobId, afterSeq }, timeoutMs, answer as (ack: Answer) => void);
  }

  subscribeFeed(
    feed: Feed,
    since: string | undefined,
    timeoutMs: number,
    answer: (ack: FeedSubscribeAck | undefined) => void,
  ): void {
    const body = { type: 'subscribe', feed, ...(since !== undefined && { since }) };
    this.request(body, timeoutMs, answer as (ack: Answer) => void);
  }

  unsubscribeFeed(feed: Feed, timeoutMs: number, answered: (confirmed: boolean) => void): void {
    this.request({ type: 'unsubscribe', feed }, timeoutMs, (answer) => answered(answer?.ok === true));
  }

  unsubscribe(jobId: string, timeoutMs: number, answered: (confirmed: boolean) => void): void {
    this.request({ type: 'unsubscribe', jobId }, timeoutMs, (answer) => answered(answer?.ok === true));
  }

  close(): void {
    this.closed = true;
    this.settleAll();
    this.socket.onopen = this.socket.onmessage = this.socket.onclose = null;
    this.socket.close(1000);
  }

  private request(body: Record<string, unknown>, timeoutMs: number, settle: (answer: Answer) => void): void {
    if (!this.connected) return settle(undefined);
    const id = String((this.lastId += 1));
    const timer = setTimeout(() => this.settle(id, undefined), timeoutMs);
    this.pending.set(id, { settle, timer });
    this.socket.send(JSON.stringify({ ...body, id }));
  }

  private settle(id: unknown, answer: Answer): void {
    const pending = typeof id === 'string' ? this.pending.get(id) : undefined;
    if (!pending) return;
    this.pending.delete(id as string);
    clearTimeout(pending.timer);
    pending.settle(answer);
  }

  private settleAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined);
  }

  private receive(data: unknown): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(String(data)) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    switch (message.type) {
      case 'welcome':
        if (!this.welcomed) {
          this.welcomed = true;
          this.handlers.connected();
        }
        return;
      case 'events':
        if (Array.isArray(message.events)) for (const raw of message.events as unknown[]) this.handlers.event(raw);
        return;
      case 'jobs':
        return this.handlers.feedJobs(message);
      case 'subscribed':
      case 'unsubscribed': {
        const { id, type: _type, jobId: _jobId, feed: _feed, ...ack } = message;
        return this.settle(id, { ok: true, ...ack } as SubscribeAck);
      }
      case 'error':
        return this.settle(message.id, { ok: false, error: message.error } as SubscribeAck);
      case 'disconnect':
        if (NOTICE_REASONS.has(message.reason) && typeof message.message === 'string') {
          this.notice = { reason: message.reason as DisconnectReason, message: message.message };
        }
    }
  }

  private onClose(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.settleAll();
    if (this.welcomed) return this.handlers.disconnected(this.notice);
    const refusedToken = code === PlainCloseCode.UNAUTHORIZED || code === PlainCloseCode.AUTH_TIMEOUT;
    this.handlers.refused(refusedToken ? ErrorCode.UNAUTHORIZED : CONNECTION_FAILED);
  }
}

/** Plain WebSocket connections, with `WebSocketImpl` or else the platform's (or `ws` in Node). */
export function plainWebSocketTransport(WebSocketImpl?: WebSocketClass): Transport {
  return (url, token, handlers) =>
    new PlainWebSocketConnection(url, token, handlers, WebSocketImpl ?? webSocketClass());
}
