import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PLAIN_WEBSOCKET_PROTOCOL, PlainDisconnectReason, type PlainServerMessage } from '@jobcast/contracts';
import type { IncomingMessage, Server } from 'node:http';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData } from 'ws';
import type { Principal } from '../../auth/principal';
import { TokenVerifier } from '../../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { GatewayLifecycle } from '../../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { ConnectionGate } from '../connection-gate';
import { Outbox } from '../outbox';
import { Subscriptions, type SubscriberTransport } from '../subscriptions';
import { TokenExpiry } from '../token-expiry';
import { PlainAuth } from './plain-auth';
import { PlainDispatch } from './plain-dispatch';
import { heardFrom, PlainKeepalive } from './plain-keepalive';
import { parsePlainMessage } from './plain-messages';
import { PlainSocket, socketListener } from './plain-socket';
import { closeWithNotice, plainTransport, sendMessage } from './plain-transport';
import { PlainUpgrades } from './plain-upgrade';

/**
 * `GET /ws`, the plain WebSocket adapter to the delivery core (`jobcast.v1`): for clients with no Socket.IO
 * library. ws runs in noServer mode on the gateway's own HTTP server; compression is off and
 * SOCKET_MAX_MESSAGE bounds a message (1009 above it). This wires its parts: the handshakes (PlainUpgrades),
 * who a socket is (PlainAuth), its requests (PlainDispatch, through the same Subscriptions and Outbox as
 * Socket.IO's) and the keepalive (PlainKeepalive); and counts its sockets toward the shared limits, ends them
 * on drain and when their tokens expire.
 */
@Injectable()
export class PlainWebSocketServer implements OnApplicationShutdown {
  private readonly sockets: WebSocketServer;
  private readonly transport: SubscriberTransport<PlainSocket>;
  private readonly upgrades: PlainUpgrades;
  private readonly auth: PlainAuth;
  private readonly keepalive = new PlainKeepalive();

  private readonly onMessage = socketListener((socket, data: RawData, isBinary: boolean) => {
    heardFrom(socket);
    const parsed = parsePlainMessage(data, isBinary);
    if ('rejected' in parsed) return this.reply(socket, { type: 'error', ...parsed.rejected });
    this.auth.receive(socket, parsed.message);
  });
  private readonly onPong = socketListener(heardFrom);
  private readonly onClose = socketListener((socket) => {
    clearTimeout(socket.authTimer);
    this.metrics.plainSocketsConnected.dec();
    this.subscriptions.closeAll(socket);
    this.transport.outbox.forget(socket);
  });
  /** ws reports a protocol violation or an oversized message here, and closes the socket itself (1002, 1009). */
  private readonly onError = socketListener((socket, error: Error) => {
    this.logger.debug({ err: error.message, ip: socket.clientIp }, 'plain WebSocket closed for a protocol error');
  });
  private readonly reply = (socket: PlainSocket, message: PlainServerMessage): void =>
    this.transport.outbox.answer(socket, () => sendMessage(socket, message));

  constructor(
    verifier: TokenVerifier,
    private readonly subscriptions: Subscriptions,
    private readonly gate: ConnectionGate,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    lifecycle: GatewayLifecycle,
    private readonly metrics: GatewayMetrics,
    tokenExpiry: TokenExpiry,
  ) {
    this.transport = { outbox: new Outbox(plainTransport, config.SOCKET_MAX_PENDING_EVENTS, metrics, logger) };
    this.sockets = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: config.SOCKET_MAX_MESSAGE,
      WebSocket: PlainSocket,
      // Offered subprotocols without jobcast.v1 are refused before this is asked.
      handleProtocols: () => PLAIN_WEBSOCKET_PROTOCOL,
    });
    const dispatch = new PlainDispatch(subscriptions, this.transport, logger, this.reply);
    this.auth = new PlainAuth(verifier, subscriptions, config, logger, this.reply, (socket, request) =>
      dispatch.handle(socket, request),
    );
    this.upgrades = new PlainUpgrades(this.sockets, gate, verifier, logger, (socket, request, principal) =>
      this.open(socket, request, principal),
    );
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
    this.upgrades.attach(server);
    this.keepalive.start(this.sockets.clients as Set<PlainSocket>, this.config.WS_HEARTBEAT);
  }

  onApplicationShutdown(): void {
    this.keepalive.stop();
  }

  private open(socket: PlainSocket, request: IncomingMessage, principal: Principal | null): void {
    socket.clientIp = this.gate.limiter.clientIp(request);
    this.gate.limiter.add(socket.clientIp);
    this.metrics.plainSocketsConnected.inc();
    socket.on('message', this.onMessage);
    socket.on('pong', this.onPong);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    this.auth.opened(socket, principal);
  }
}
