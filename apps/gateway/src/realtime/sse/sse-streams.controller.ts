import { LOGGER } from '@jobcast/observability';
import { Controller, Get, Headers, HttpStatus, Inject, Param, Query, Req, Res } from '@nestjs/common';
import {
  ErrorCode,
  EventStreamQuerySchema,
  FEED_STREAM_PATH,
  FeedStreamQuerySchema,
  TERMINAL_STATUSES,
  type FeedSubscribeAck,
  type SubscribeAck,
} from '@jobcast/contracts';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { bearerToken } from '../../auth/bearer-token';
import type { Principal } from '../../auth/principal';
import { TokenVerifier } from '../../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { ApiException } from '../../http/api-exception';
import { parseOrThrow } from '../../http/parse-or-throw';
import { validJobId } from '../../jobs/valid-job-id';
import { GatewayLifecycle } from '../../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { ConnectionGate, HANDSHAKE_REFUSALS } from '../connection-gate';
import { Outbox } from '../outbox';
import { Subscriptions, type SubscriberTransport } from '../subscriptions';
import { TokenExpiry } from '../token-expiry';
import { OpenStream, OpenStreams, type StreamRefusal } from './open-streams';
import { endStream, feedFrame, sseTransport, writeStreamHead, writeStreamHeaders } from './sse-transport';

/** The HTTP status of each refused subscribe a stream can get from the core; a closed one answers nothing. */
const REFUSED_SUBSCRIBE_STATUS: Partial<Record<string, HttpStatus>> = {
  [ErrorCode.JOB_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.BATCH_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.FORBIDDEN]: HttpStatus.FORBIDDEN,
  [ErrorCode.VALIDATION_FAILED]: HttpStatus.BAD_REQUEST,
  [ErrorCode.UNAUTHORIZED]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.SERVICE_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * `GET /jobs/:id/events` and `GET /feed`, SSE's adapter to the delivery core: a stream is a connection with one subscription,
 * made through the same Subscriptions and Outbox as a socket's, written as Server-Sent Events. Resumes after
 * `Last-Event-ID` (what EventSource sends on reconnect) or `?afterSeq=`, and ends after the terminal event.
 * EventSource cannot set headers, so the token may also come as `?access_token=`. When the log cannot give
 * every event after the resume point, the stream starts with `event: reset` carrying the snapshot. A stream
 * counts toward MAX_CONNECTIONS_PER_IP with the sockets, and ends when its token expires, when the gateway
 * drains, or when its client falls too far behind. A feed's stream (`GET /feed?owner=me|tag=…|batch=…`) is
 * the same, with `event: jobs` frames whose `id:` is the feed's cursor; it never ends by itself.
 */
@Controller()
export class SseStreamsController {
  private readonly transport: SubscriberTransport<OpenStream>;
  private readonly streams: OpenStreams;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly subscriptions: Subscriptions,
    private readonly gate: ConnectionGate,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly lifecycle: GatewayLifecycle,
    metrics: GatewayMetrics,
    tokenExpiry: TokenExpiry,
  ) {
    this.transport = {
      outbox: new Outbox(sseTransport, config.SOCKET_MAX_PENDING_EVENTS, metrics, logger),
      // The stream's one subscription ended after its terminal event: so does the stream.
      subscriptionEnded: (stream) => {
        clearInterval(stream.heartbeat);
        stream.response.end();
      },
    };
    this.streams = new OpenStreams(config.SSE_MAX_STREAMS_PER_USER, config.SSE_START_RATE);
    gate.limiter.addTransport(this.streams);
    tokenExpiry.track<OpenStream>({
      connections: () => this.streams.values(),
      expiresAtS: (stream) => stream.expiresAtS,
      end: (stream) => endStream(stream.response, 'the token has expired; reconnect with a fresh one'),
    });
  }

  @Get('jobs/:id/events')
  async stream(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const principal = await this.verifyStart(request, query);
    const jobId = validJobId(id);
    const { afterSeq: queryAfterSeq } = parseOrThrow(EventStreamQuerySchema, { afterSeq: query.afterSeq });
    const afterSeq =
      lastEventId !== undefined
        ? parseOrThrow(EventStreamQuerySchema, { afterSeq: lastEventId }).afterSeq
        : queryAfterSeq;
    const stream = this.start(request, response, principal);
    let answer: SubscribeAck | undefined;
    await this.subscriptions.subscribeJob(stream, stream, this.transport, { jobId, afterSeq }, (ack) => {
      answer = ack;
      if (ack.ok) this.open(stream, ack);
    });
    this.refused(stream, answer);
  }

  @Get(FEED_STREAM_PATH)
  async feed(
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const principal = await this.verifyStart(request, query);
    const { access_token: _token, ...rest } = query;
    // EventSource resumes with Last-Event-ID, the cursor of the last frame it read whole.
    const { feed, since } = parseOrThrow(FeedStreamQuerySchema, {
      ...rest,
      ...(lastEventId !== undefined && { since: lastEventId }),
    });
    const stream = this.start(request, response, principal);
    let answer: FeedSubscribeAck | undefined;
    await this.subscriptions.subscribeFeed(
      stream,
      stream,
      this.transport,
      { feed, ...(since !== undefined && { since }) },
      (ack) => {
        answer = ack;
        if (!ack.ok) return;
        writeStreamHeaders(response);
        response.write(`retry: 1000\n\n${feedFrame({ feed, ...ack })}`);
        this.keepOpen(stream);
      },
      (delivery) => {
        if (!response.writableEnded) response.write(feedFrame({ feed, ...delivery }));
      },
    );
    this.refused(stream, answer);
  }

  /** The checks before any stream starts: the handshake's, then the token's. */
  private async verifyStart(request: Request, query: Record<string, unknown>): Promise<Principal> {
    const handshakeRefusal = this.gate.refusal(request);
    if (handshakeRefusal) {
      const status = HANDSHAKE_REFUSALS[handshakeRefusal];
      throw new ApiException(handshakeRefusal, status, `Stream refused: ${handshakeRefusal}`);
    }
    const principal = await this.verifier.verify(bearerToken(request.headers.authorization) ?? query.access_token);
    if (!principal) throw ApiException.unauthorized();
    return principal;
  }

  /** Opens the stream as a connection of the core, counted toward the limits until its response closes. */
  private start(request: Request, response: Response, principal: Principal): OpenStream {
    const stream = new OpenStream(response, this.gate.limiter.clientIp(request));
    this.subscriptions.admit(stream, principal);
    const streamRefusal = this.streams.refusal(stream.reader);
    if (streamRefusal) throw this.refuseStream(streamRefusal);

    this.streams.add(stream);
    this.gate.limiter.add(stream.clientIp);
    // On drain the stream just ends; EventSource reconnects (to another gateway) with Last-Event-ID.
    const stopOnDrain = this.lifecycle.onDrain(() => response.end());
    response.on('close', () => {
      clearInterval(stream.heartbeat);
      stopOnDrain();
      this.subscriptions.closeAll(stream);
      this.transport.outbox.forget(stream);
      this.streams.delete(stream);
    });
    return stream;
  }

  /** A refused subscribe is answered as an HTTP error, and the stream no longer counts. */
  private refused(stream: OpenStream, answer: SubscribeAck | FeedSubscribeAck | undefined): void {
    if (!answer || answer.ok || answer.error.code === ErrorCode.SUBSCRIPTION_CLOSED) return;
    this.streams.delete(stream);
    const { code, message } = answer.error;
    const status = REFUSED_SUBSCRIBE_STATUS[code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    // The core answers only with codes of the contract.
    throw new ApiException(code as ErrorCode, status, message);
  }

  /** The subscribe's answer: the stream's head, or 204 for one resumed at the end of a finished job. */
  private open(stream: OpenStream, { snapshot, events, reset }: SubscribeAck & { ok: true }): void {
    const { response } = stream;
    if (events.length === 0 && !reset && TERMINAL_STATUSES.includes(snapshot.status)) {
      // 204 is what tells EventSource to stop reconnecting.
      response.writeHead(204).end();
      return;
    }
    writeStreamHead(response, snapshot, events, reset === true);
    this.keepOpen(stream);
  }

  /** After the head: the stream stays open, with a heartbeat; a HEAD request ends here. */
  private keepOpen(stream: OpenStream): void {
    const { response } = stream;
    // HEAD gets the head a GET would, and no stream: Node sends a HEAD answer's headers only once it ends.
    if (response.req.method === 'HEAD') {
      response.end();
      return;
    }
    // A stream that is behind has traffic enough; the comment only keeps an idle one open.
    stream.heartbeat = setInterval(() => {
      if (response.writableLength === 0) response.write(': keep-alive\n\n');
    }, this.config.SSE_HEARTBEAT);
  }

  private refuseStream(refusal: StreamRefusal): ApiException {
    if (refusal === 'TOO_MANY_STREAMS') {
      const max = this.config.SSE_MAX_STREAMS_PER_USER;
      return new ApiException(
        ErrorCode.TOO_MANY_STREAMS,
        HttpStatus.TOO_MANY_REQUESTS,
        `At most ${max} streams per user`,
      );
    }
    const rate = this.config.SSE_START_RATE;
    return new ApiException(
      ErrorCode.RATE_LIMITED,
      HttpStatus.TOO_MANY_REQUESTS,
      `At most ${rate} streams started per second per user`,
      { retryAfterSeconds: 1 },
      { 'retry-after': '1' },
    );
  }
}
