import { LOGGER } from '@jobcast/observability';
import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import {
  DisconnectReason,
  ErrorCode,
  FeedSubscribeRequestSchema,
  FeedUnsubscribeRequestSchema,
  JOBS_NAMESPACE,
  SocketEvent,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type FeedJobs,
  type FeedSubscribeAck,
  type FeedSubscribeRequest,
  type SocketAuth,
  type SubscribeAck,
  type UnsubscribeAck,
} from '@jobcast/contracts';
import type { Logger } from 'pino';
import { TokenVerifier } from '../../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { GatewayLifecycle } from '../../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { forgetToken } from '../framework-internals';
import { Outbox } from '../outbox';
import { validationError } from '../subscribe-acks';
import { feedKey, Subscriptions, type SubscriberTransport } from '../subscriptions';
import { TokenExpiry } from '../token-expiry';
import { disconnectWithNotice } from './disconnect-with-notice';
import type { JobsNamespace, JobsSocket } from './jobs-socket';
import { socketIoTransport } from './socket-io-transport';

type AckFn<T> = ((answer: T) => void) | undefined;

/** Socket.IO passes a request's arguments, then the ack callback when the client asked for one. */
function splitRequest<T>(args: unknown[]): { body: unknown; ack: AckFn<T> } {
  const last = args.at(-1);
  if (typeof last !== 'function') return { body: args[0], ack: undefined };
  return { body: args.length > 1 ? args[0] : undefined, ack: last as (answer: T) => void };
}

/**
 * One listener function for every socket, which Socket.IO calls with the socket as `this`: a closure per
 * socket and event would cost every idle socket memory.
 */
/** Whether a subscribe or unsubscribe names a feed rather than a job: its body has a `feed` of its own. */
function namesFeed(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Object.hasOwn(body, 'feed');
}

function socketListener(
  handle: (socket: JobsSocket, args: unknown[]) => void,
): (this: JobsSocket, ...args: unknown[]) => void {
  return function (this: JobsSocket, ...args: unknown[]) {
    handle(this, args);
  };
}

/**
 * The `/jobs` namespace, Socket.IO's adapter to the delivery core: authenticates the handshake, then lets a
 * socket subscribe to the jobs its user may read (Subscriptions) and delivers through its outbox. Every
 * request is answered by its ack — an error ack for anything malformed — and never crashes or silently
 * drops.
 */
@WebSocketGateway({ namespace: JOBS_NAMESPACE })
export class JobsGateway implements OnGatewayInit<JobsNamespace>, OnGatewayConnection<JobsSocket> {
  private readonly transport: SubscriberTransport<JobsSocket>;
  private readonly onSubscribe = socketListener((socket, args) => {
    const { body, ack } = splitRequest<SubscribeAck & FeedSubscribeAck>(args);
    const reply = (answer: SubscribeAck | FeedSubscribeAck): void => {
      if (typeof ack === 'function') ack(answer as SubscribeAck & FeedSubscribeAck);
    };
    if (namesFeed(body)) {
      const feedRequest = FeedSubscribeRequestSchema.safeParse(body);
      if (!feedRequest.success) {
        return this.transport.outbox.answer(socket, () => reply(validationError(feedRequest.error)));
      }
      return this.subscribeFeed(socket, feedRequest.data, reply);
    }
    const request = SubscribeRequestSchema.safeParse(body);
    if (!request.success) return this.transport.outbox.answer(socket, () => reply(validationError(request.error)));
    this.subscriptions
      .subscribeJob(socket.data, socket, this.transport, request.data, reply)
      .catch((error: unknown) => this.logger.error({ err: error }, 'subscribe crashed'));
  });
  private readonly onUnsubscribe = socketListener((socket, args) => {
    const { body, ack } = splitRequest<UnsubscribeAck>(args);
    const request = namesFeed(body)
      ? FeedUnsubscribeRequestSchema.safeParse(body)
      : UnsubscribeRequestSchema.safeParse(body);
    if (request.success) {
      const { data } = request;
      this.subscriptions.unsubscribe(socket.data, 'feed' in data ? feedKey(data.feed) : data.jobId);
    }
    if (typeof ack !== 'function') return;
    const answer: UnsubscribeAck = request.success ? { ok: true } : validationError(request.error);
    this.transport.outbox.answer(socket, () => ack(answer));
  });
  /** Bound here rather than through Nest's OnGatewayDisconnect, whose hook is a closure per socket. */
  private readonly onDisconnect = socketListener((socket) => {
    this.metrics.socketsConnected.dec();
    this.subscriptions.closeAll(socket.data);
    this.transport.outbox.forget(socket);
  });

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly subscriptions: Subscriptions,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly lifecycle: GatewayLifecycle,
    private readonly metrics: GatewayMetrics,
    private readonly tokenExpiry: TokenExpiry,
  ) {
    this.transport = { outbox: new Outbox(socketIoTransport, config.SOCKET_MAX_PENDING_EVENTS, metrics, logger) };
  }

  /** A feed's subscribe: its ack, then a `feed:jobs` per update. */
  private subscribeFeed(
    socket: JobsSocket,
    request: FeedSubscribeRequest,
    reply: (answer: FeedSubscribeAck) => void,
  ): void {
    const { feed } = request;
    const update = (delivery: Omit<FeedJobs, 'feed'>): void => {
      socket.emit(SocketEvent.FEED_JOBS, { feed, ...delivery } satisfies FeedJobs);
    };
    this.subscriptions
      .subscribeFeed(socket.data, socket, this.transport, request, reply, update)
      .catch((error: unknown) => this.logger.error({ err: error }, 'feed subscribe crashed'));
  }

  afterInit(namespace: JobsNamespace): void {
    this.lifecycle.onDrain(() => {
      for (const socket of namespace.sockets.values()) disconnectWithNotice(socket, DisconnectReason.SHUTTING_DOWN);
    });
    this.tokenExpiry.track<JobsSocket>({
      connections: () => namespace.sockets.values(),
      // Undefined until the handshake's token is verified.
      expiresAtS: (socket) => socket.data.expiresAtS ?? 0,
      end: (socket) => disconnectWithNotice(socket, DisconnectReason.TOKEN_EXPIRED),
    });
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as Partial<Record<keyof SocketAuth, unknown>> | undefined;
      this.verifier.verify(auth?.token).then(
        (principal) => {
          if (!principal) return next(new Error(ErrorCode.UNAUTHORIZED));
          this.subscriptions.admit(socket.data, principal);
          forgetToken(socket, auth?.batch === true);
          next();
        },
        (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
      );
    });
  }

  handleConnection(socket: JobsSocket): void {
    // Plain listeners rather than @SubscribeMessage: Nest builds RxJS pipelines per socket and per handler,
    // which at tens of thousands of idle watchers would be most of a connection's memory.
    socket.on(SocketEvent.SUBSCRIBE, this.onSubscribe);
    socket.on(SocketEvent.UNSUBSCRIBE, this.onUnsubscribe);
    socket.on('disconnect', this.onDisconnect);
    this.metrics.socketsConnected.inc();
  }
}
