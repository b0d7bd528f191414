import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  ErrorCode,
  PLAIN_WEBSOCKET_PATH,
  PLAIN_WEBSOCKET_PROTOCOL,
  PlainDisconnectReason,
  type ApiErrorBody,
  type PlainClientMessage,
  type PlainServerMessage,
  type SubscribeAck,
} from '@jobcast/contracts';
import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Principal } from '../../auth/principal';
import { TokenVerifier } from '../../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { GatewayLifecycle } from '../../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { ConnectionGate, HANDSHAKE_REFUSALS } from '../connection-gate';
import { JobSubscriptions } from '../job-subscriptions';
import { Outbox } from '../outbox';
import { TokenExpiry } from '../token-expiry';
import { parsePlainMessage } from './plain-messages';
import { PlainSocket } from './plain-socket';
import { closeWithNotice, plainTransport, sendMessage } from './plain-transport';

/** Engine.IO's path, whose upgrades are Engine.IO's to handle. */
const SOCKET_IO_PATH = '/socket.io/';

/** Refuses an upgrade before it happens, as plain HTTP with the JSON error body. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } } satisfies ApiErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Listeners shared by every socket, called with the socket as `this`: no closures per connection. */
function socketListener<Args extends unknown[]>(
  handle: (socket: PlainSocket, ...args: Args) => void,
): (this: WebSocket, ...args: Args) => void {
  return function (this: WebSocket, ...args: Args) {
    // Every socket of this server is a PlainSocket (its `WebSocket` option).
    handle(this as PlainSocket, ...args);
  };
}

const ignoreError = (): void => undefined;

/** Requests a client may send behind its `auth` before the welcome; they wait for the token's check. */
const MAX_HELD_DURING_AUTH = 16;

/**
 * `GET /ws`, the plain WebSocket adapter to the delivery core (`jobcast.v1`): for clients with no Socket.IO
 * library. ws runs in noServer mode on the gateway's own HTTP server and takes only upgrades of `/ws`, so
 * Engine.IO keeps its own; compression is off and SOCKET_MAX_MESSAGE bounds a message (1009 above it).
 * Handshakes are refused before the upgrade, as HTTP with the JSON error body; auth comes from the
 * Authorization header or a first `auth` message, never the URL; then subscribes go through the same
 * JobSubscriptions and Outbox as Socket.IO's.
 */
@Injectable()
export class PlainWebSocketServer implements OnApplicationShutdown {
  private readonly sockets: WebSocketServer;
  private readonly outbox: Outbox<PlainSocket>;
  private heartbeat: NodeJS.Timeout | undefined;

  private readonly onMessage = socketListener((socket, data: RawData, isBinary: boolean) => {
    socket.missedPings = 0;
    const parsed = parsePlainMessage(data, isBinary);
    if ('rejected' in parsed) return this.reply(socket, { type: 'error', ...parsed.rejected });
    const { authenticating } = socket;
    if (!authenticating) return this.handle(socket, parsed.message);
    // Requests sent right behind `auth` are answered once it is checked, in order, as if it had been at once.
    if (socket.heldDuringAuth >= MAX_HELD_DURING_AUTH) {
      const error = { code: ErrorCode.RATE_LIMITED, message: 'Wait for welcome before sending more' };
      return this.reply(socket, { type: 'error', error });
    }
    socket.heldDuringAuth += 1;
    const handled: Promise<void> = authenticating.then(() => {
      socket.heldDuringAuth -= 1;
      if (socket.authenticating === handled) socket.authenticating = undefined;
      this.handle(socket, parsed.message);
    });
    socket.authenticating = handled;
  });
  private readonly onPong = socketListener((socket) => {
    socket.missedPings = 0;
  });
  private readonly onClose = socketListener((socket) => {
    clearTimeout(socket.authTimer);
    this.metrics.plainSocketsConnected.dec();
    this.subscriptions.closeAll(socket);
    this.outbox.forget(socket);
  });
  /** ws reports a protocol violation or an oversized message here, and closes the socket itself (1002, 1009). */
  private readonly onError = socketListener((socket, error: Error) => {
    this.logger.debug({ err: error.message, ip: socket.clientIp }, 'plain WebSocket closed for a protocol error');
  });

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly subscriptions: JobSubscriptions,
    private readonly gate: ConnectionGate,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    lifecycle: GatewayLifecycle,
    private readonly metrics: GatewayMetrics,
    tokenExpiry: TokenExpiry,
  ) {
    this.outbox = new Outbox(plainTransport, config.SOCKET_MAX_PENDING_EVENTS, metrics, logger);
    this.sockets = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: config.SOCKET_MAX_MESSAGE,
      WebSocket: PlainSocket,
      // Offered subprotocols without jobcast.v1 are refused before this is asked.
      handleProtocols: () => PLAIN_WEBSOCKET_PROTOCOL,
    });
    const clients = this.sockets.clients as Set<PlainSocket>;
    gate.limiter.addTransport({
      count: () => clients.size,
      clientIps: () => [...clients].map((socket) => socket.clientIp),
    });
    lifecycle.onDrain(() => {
      for (const socket of clients) closeWithNotice(socket, PlainDisconnectReason.SHUTTING_DOWN);
    });
    tokenExpiry.track<PlainSocket>({
      connections: () => clients,
      expiresAtS: (socket) => socket.expiresAtS,
      end: (socket) => closeWithNotice(socket, PlainDisconnectReason.TOKEN_EXPIRED),
    });
  }

  /** Takes `/ws` upgrades on the gateway's HTTP server, and pings every socket every WS_HEARTBEAT. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(request, socket, head).catch((error: unknown) => {
        this.logger.error({ err: error }, 'plain WebSocket upgrade crashed');
        socket.destroy();
      });
    });
    this.heartbeat = setInterval(() => this.ping(), this.config.WS_HEARTBEAT).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0] as string;
    if (path.startsWith(SOCKET_IO_PATH)) return;
    // Until ws takes the socket over, a client that hangs up must not be an unhandled error.
    socket.on('error', ignoreError);
    if (path !== PLAIN_WEBSOCKET_PATH) {
      return refuse(socket, 404, ErrorCode.NOT_FOUND, `No WebSocket endpoint at ${path}; use ${PLAIN_WEBSOCKET_PATH}`);
    }
    const offered = request.headers['sec-websocket-protocol'];
    if (offered !== undefined && !offered.split(',').some((name) => name.trim() === PLAIN_WEBSOCKET_PROTOCOL)) {
      return refuse(
        socket,
        400,
        ErrorCode.VALIDATION_FAILED,
        `Only the ${PLAIN_WEBSOCKET_PROTOCOL} subprotocol is spoken`,
      );
    }
    const refusal = this.gate.refusal(request);
    if (refusal) return refuse(socket, HANDSHAKE_REFUSALS[refusal], refusal, `Connection refused: ${refusal}`);
    let principal: Principal | null = null;
    const { authorization } = request.headers;
    if (authorization !== undefined) {
      const [scheme, token] = authorization.split(' ');
      principal = scheme?.toLowerCase() === 'bearer' ? await this.verifier.verify(token) : null;
      if (!principal) return refuse(socket, 401, ErrorCode.UNAUTHORIZED, 'Invalid bearer token');
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      socket.off('error', ignoreError);
      this.open(ws as PlainSocket, request, principal);
    });
  }

  private open(socket: PlainSocket, request: IncomingMessage, principal: Principal | null): void {
    socket.clientIp = this.gate.limiter.clientIp(request);
    this.gate.limiter.add(socket.clientIp);
    this.metrics.plainSocketsConnected.inc();
    socket.on('message', this.onMessage);
    socket.on('pong', this.onPong);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    if (principal) return this.welcome(socket, principal);
    socket.authTimer = setTimeout(
      closeWithNotice,
      this.config.WS_AUTH_TIMEOUT,
      socket,
      PlainDisconnectReason.AUTH_TIMEOUT,
    );
  }

  private welcome(socket: PlainSocket, principal: Principal): void {
    if (socket.authenticated) {
      if (!this.subscriptions.renew(socket, principal)) return this.refuseToken(socket);
    } else {
      clearTimeout(socket.authTimer);
      socket.authTimer = undefined;
      this.subscriptions.admit(socket, principal);
    }
    this.reply(socket, { type: 'welcome', gateway: this.config.GATEWAY_ID, heartbeatMs: this.config.WS_HEARTBEAT });
  }

  private refuseToken(socket: PlainSocket): void {
    sendMessage(socket, { type: 'error', error: { code: ErrorCode.UNAUTHORIZED, message: 'Invalid token' } });
    closeWithNotice(socket, PlainDisconnectReason.UNAUTHORIZED);
  }

  private handle(socket: PlainSocket, message: PlainClientMessage): void {
    if (message.type === 'auth') {
      const checked = this.verifier.verify(message.token).then(
        (principal) => (principal ? this.welcome(socket, principal) : this.refuseToken(socket)),
        () => this.refuseToken(socket),
      );
      const settled: Promise<void> = checked.then(() => {
        if (socket.authenticating === settled) socket.authenticating = undefined;
      });
      socket.authenticating = settled;
      return;
    }
    const { id } = message;
    const echo = id === undefined ? {} : { id };
    if (!socket.authenticated) {
      const error = { code: ErrorCode.UNAUTHORIZED, message: 'Send {"type":"auth","token"} first' };
      return this.reply(socket, { type: 'error', ...echo, error });
    }
    switch (message.type) {
      case 'ping':
        return this.reply(socket, { type: 'pong', ...echo });
      case 'unsubscribe':
        this.subscriptions.unsubscribe(socket, message.jobId);
        return this.reply(socket, { type: 'unsubscribed', ...echo, jobId: message.jobId });
      case 'subscribe': {
        const { jobId } = message;
        const answer = (ack: SubscribeAck): void =>
          sendMessage(
            socket,
            ack.ok
              ? { type: 'subscribed', ...echo, jobId, ...withoutOk(ack) }
              : { type: 'error', ...echo, jobId, error: ack.error },
          );
        this.subscriptions
          .subscribe(socket, socket, this.outbox, message, answer)
          .catch((error: unknown) => this.logger.error({ err: error }, 'subscribe crashed'));
      }
    }
  }

  /** Answers a request through the socket's outbox: in line with its events, and counted toward its bound. */
  private reply(socket: PlainSocket, message: PlainServerMessage): void {
    this.outbox.answer(socket, () => sendMessage(socket, message));
  }

  /** Every socket gets a ping frame; one that has not answered the last two is gone. */
  private ping(): void {
    for (const socket of this.sockets.clients as Set<PlainSocket>) {
      if (socket.missedPings >= 2) {
        socket.terminate();
        continue;
      }
      socket.missedPings += 1;
      socket.ping();
    }
  }
}

function withoutOk<T extends { ok: true }>(ack: T): Omit<T, 'ok'> {
  const { ok: _ok, ...rest } = ack;
  return rest;
}
