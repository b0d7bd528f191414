import { LOGGER } from '@jobcast/observability';
import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import {
  DisconnectReason,
  ErrorCode,
  JOBS_NAMESPACE,
  SocketEvent,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ErrorAck,
  type JobEvent,
  type SocketAuth,
  type SubscribeAck,
  type UnsubscribeAck,
} from '@jobcast/contracts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { mayRead, readerKey } from '../auth/job-access';
import { TokenVerifier } from '../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { WatchSink } from './job-watch';
import { JobWatchFactory } from './job-watch.factory';
import { forgetToken, type JobsNamespace, type JobsSocket } from './jobs-socket';
import { GatewayLifecycle } from '../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { SocketOutbox } from './socket-outbox';
import { SubscribeRate } from './subscribe-rate';
import { allWatches, countWatches, watchOf, withWatch, withoutWatch } from './socket-watches';

type AckFn<T> = ((answer: T) => void) | undefined;

/** Socket.IO passes a request's arguments, then the ack callback when the client asked for one. */
function splitRequest<T>(args: unknown[]): { body: unknown; ack: AckFn<T> } {
  const last = args.at(-1);
  if (typeof last !== 'function') return { body: args[0], ack: undefined };
  return { body: args.length > 1 ? args[0] : undefined, ack: last as (answer: T) => void };
}

const SHUTTING_DOWN_NOTICE = {
  reason: DisconnectReason.SHUTTING_DOWN,
  message: 'this gateway is restarting; reconnect (to another one) and resume from your last seq',
} as const;

function errorAck(code: ErrorCode, message: string, details?: unknown): ErrorAck {
  return { ok: false, error: { code, message, ...(details !== undefined && { details }) } };
}

/**
 * Where a socket's watch delivers. A class rather than closures: it lives as long as the watch, and must
 * hold neither the subscribe request nor its ack, nor cost more than its three fields.
 */
class SocketSink implements WatchSink {
  constructor(
    private readonly outbox: SocketOutbox,
    private readonly socket: JobsSocket,
    private readonly jobId: string,
  ) {}

  deliver(events: readonly JobEvent[]): void {
    this.outbox.deliver(this.socket, events);
  }

  finish(): void {
    forgetClosedWatch(this.socket, this.jobId);
  }
}

/**
 * One listener function for every socket, which Socket.IO calls with the socket as `this`: a closure per
 * socket and event would cost every idle socket memory.
 */
function socketListener(
  handle: (socket: JobsSocket, args: unknown[]) => void,
): (this: JobsSocket, ...args: unknown[]) => void {
  return function (this: JobsSocket, ...args: unknown[]) {
    handle(this, args);
  };
}

/** Drops the socket's watch of the job once it has ended; a newer, open one stays. */
function forgetClosedWatch(socket: JobsSocket, jobId: string): void {
  if (watchOf(socket.data.watches, jobId)?.isOpen === false) {
    socket.data.watches = withoutWatch(socket.data.watches, jobId);
  }
}

/**
 * The `/jobs` namespace: authenticates the handshake, then lets a socket subscribe to the jobs its user
 * owns. Every request is answered by its ack — an error ack for anything malformed — and never crashes
 * or silently drops.
 */
@WebSocketGateway({ namespace: JOBS_NAMESPACE })
export class JobsGateway implements OnGatewayInit<JobsNamespace>, OnGatewayConnection<JobsSocket> {
  private readonly onSubscribe = socketListener((socket, args) => {
    const { body, ack } = splitRequest<SubscribeAck>(args);
    this.subscribe(socket, body, ack).catch((error: unknown) => this.logger.error({ err: error }, 'subscribe crashed'));
  });
  private readonly onUnsubscribe = socketListener((socket, args) => {
    const { body, ack } = splitRequest<UnsubscribeAck>(args);
    this.unsubscribe(socket, body, ack);
  });
  /** Bound here rather than through Nest's OnGatewayDisconnect, whose hook is a closure per socket. */
  private readonly onDisconnect = socketListener((socket) => {
    this.metrics.socketsConnected.dec();
    for (const watch of allWatches(socket.data.watches)) watch.close();
    socket.data.watches = undefined;
    this.outbox.forget(socket);
  });

  private readonly subscribeRate: SubscribeRate;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly watches: JobWatchFactory,
    private readonly outbox: SocketOutbox,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly lifecycle: GatewayLifecycle,
    private readonly metrics: GatewayMetrics,
  ) {
    this.subscribeRate = new SubscribeRate(config.SOCKET_SUBSCRIBE_RATE);
  }

  afterInit(namespace: JobsNamespace): void {
    namespace.server.engine.on('drain', (connection: JobsSocket['conn']) => this.outbox.drained(connection));
    this.lifecycle.onDrain(() => {
      for (const socket of namespace.sockets.values()) {
        socket.emit(SocketEvent.DISCONNECT_NOTICE, SHUTTING_DOWN_NOTICE);
        socket.disconnect(true);
      }
    });
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as Partial<Record<keyof SocketAuth, unknown>> | undefined;
      this.verifier.verify(auth?.token).then(
        (principal) => {
          if (!principal) return next(new Error(ErrorCode.UNAUTHORIZED));
          socket.data.owner = readerKey(principal);
          socket.data.expiresAtS = Math.floor(principal.expiresAt / 1000);
          socket.data.watches = undefined;
          socket.data.subscribeAt = this.subscribeRate.initial;
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

  private async subscribe(socket: JobsSocket, body: unknown, ack: AckFn<SubscribeAck>): Promise<void> {
    const reply = (answer: SubscribeAck): void => {
      if (typeof ack === 'function') ack(answer);
    };
    const request = this.parse(SubscribeRequestSchema, body);
    if ('error' in request) return reply(request.error);
    const denied = this.checkAllowed(socket, request.data.jobId);
    if (denied) return reply(denied);

    const { afterSeq = 0 } = request.data;
    // The job id every watch of the job shares, rather than one copy per subscribe request.
    const jobId = this.watches.sharedJobId(request.data.jobId);
    watchOf(socket.data.watches, jobId)?.close();
    const watch = this.watches.create(jobId, afterSeq, new SocketSink(this.outbox, socket, jobId));
    socket.data.watches = withWatch(socket.data.watches, watch);
    const { owner } = socket.data;
    try {
      const outcome = await watch.start(
        (record) => mayRead(owner, record),
        (snapshot, events) => {
          reply({ ok: true, snapshot, events });
          this.metrics.recordDelivered(events.length, 'socket');
        },
      );
      if (outcome !== 'started') forgetClosedWatch(socket, jobId);
      if (outcome === 'not-found') reply(errorAck(ErrorCode.JOB_NOT_FOUND, `Job ${jobId} not found`));
      if (outcome === 'closed') {
        reply(errorAck(ErrorCode.SUBSCRIPTION_CLOSED, 'Replaced by a newer subscribe or an unsubscribe'));
      }
    } catch (error) {
      forgetClosedWatch(socket, jobId);
      this.logger.warn({ err: error, jobId }, 'subscribe failed');
      reply(errorAck(ErrorCode.SERVICE_UNAVAILABLE, 'Could not read the job; retry'));
    }
  }

  private unsubscribe(socket: JobsSocket, body: unknown, ack: AckFn<UnsubscribeAck>): void {
    const request = this.parse(UnsubscribeRequestSchema, body);
    const answer: UnsubscribeAck = 'error' in request ? request.error : { ok: true };
    if ('data' in request) {
      watchOf(socket.data.watches, request.data.jobId)?.close();
      socket.data.watches = withoutWatch(socket.data.watches, request.data.jobId);
    }
    if (typeof ack === 'function') ack(answer);
  }

  private parse<Schema extends z.ZodType>(
    schema: Schema,
    body: unknown,
  ): { data: z.infer<Schema> } | { error: ErrorAck } {
    const parsed = schema.safeParse(body);
    if (parsed.success) return { data: parsed.data };
    // A few issues say what is wrong; all of them, for a large binary payload, would be a large ack.
    return { error: errorAck(ErrorCode.VALIDATION_FAILED, 'Malformed request', parsed.error.issues.slice(0, 10)) };
  }

  private checkAllowed(socket: JobsSocket, jobId: string): ErrorAck | undefined {
    if (socket.data.expiresAtS * 1000 <= Date.now() - this.config.JWT_CLOCK_SKEW) {
      return errorAck(ErrorCode.UNAUTHORIZED, 'Token expired; reconnect with a fresh one');
    }
    const subscribeAt = this.subscribeRate.take(socket.data.subscribeAt);
    if (subscribeAt === undefined) {
      return errorAck(ErrorCode.RATE_LIMITED, `At most ${this.config.SOCKET_SUBSCRIBE_RATE} subscribes per second`);
    }
    socket.data.subscribeAt = subscribeAt;
    const { watches } = socket.data;
    if (!watchOf(watches, jobId) && countWatches(watches) >= this.config.SOCKET_MAX_SUBSCRIPTIONS) {
      return errorAck(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `At most ${this.config.SOCKET_MAX_SUBSCRIPTIONS} subscriptions per socket`,
      );
    }
    return undefined;
  }
}
