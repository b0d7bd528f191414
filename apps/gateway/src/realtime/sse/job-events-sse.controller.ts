import { LOGGER } from '@jobcast/observability';
import { Controller, Get, Headers, HttpStatus, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ErrorCode, EventStreamQuerySchema, TERMINAL_STATUSES } from '@jobcast/contracts';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { mayReadJob, readAccessKey, readAccessOf } from '../../auth/access-policy';
import { TokenVerifier } from '../../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { ApiException } from '../../http/api-exception';
import { parseOrThrow } from '../../http/parse-or-throw';
import { validJobId } from '../../jobs/jobs.controller';
import { GatewayLifecycle } from '../../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { ConnectionGate, HANDSHAKE_REFUSALS } from '../connection-gate';
import { JobRelayFactory } from '../job-relay.factory';
import { Outbox } from '../outbox';
import { TokenExpiry } from '../token-expiry';
import { OpenStreams, type OpenStream, type StreamRefusal } from './open-streams';
import { endStream, sseEventFrame, sseTransport } from './sse-transport';

/**
 * `GET /jobs/:id/events`, SSE's adapter to the delivery core: the same relay and outbox as a socket
 * subscription, as Server-Sent Events. Resumes after `Last-Event-ID` (what EventSource sends on reconnect)
 * or `?afterSeq=`, and ends after the terminal event. EventSource cannot set headers, so the token may also
 * come as `?access_token=`. When the log cannot give every event after the resume point, the stream starts
 * with `event: reset` carrying the snapshot. A stream counts toward MAX_CONNECTIONS_PER_IP with the sockets,
 * and ends when its token expires, when the gateway drains, or when its client falls too far behind.
 */
@Controller('jobs')
export class JobEventsSseController {
  private readonly outbox: Outbox<Response>;
  private readonly streams: OpenStreams;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly relayFactory: JobRelayFactory,
    private readonly gate: ConnectionGate,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly lifecycle: GatewayLifecycle,
    private readonly metrics: GatewayMetrics,
    tokenExpiry: TokenExpiry,
  ) {
    this.outbox = new Outbox(sseTransport, config.SOCKET_MAX_PENDING_EVENTS, metrics, logger);
    this.streams = new OpenStreams(config.SSE_MAX_STREAMS_PER_USER, config.SSE_START_RATE);
    gate.limiter.addTransport(this.streams);
    tokenExpiry.track<OpenStream>({
      connections: () => this.streams.values(),
      expiresAtS: (stream) => stream.expiresAtS,
      end: (stream) => endStream(stream.response, 'the token has expired; reconnect with a fresh one'),
    });
  }

  @Get(':id/events')
  async stream(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const handshakeRefusal = this.gate.refusal(request);
    if (handshakeRefusal) {
      const status = HANDSHAKE_REFUSALS[handshakeRefusal];
      throw new ApiException(handshakeRefusal, status, `Stream refused: ${handshakeRefusal}`);
    }
    const [scheme, headerToken] = (request.headers.authorization ?? '').split(' ');
    const token = scheme?.toLowerCase() === 'bearer' ? headerToken : query.access_token;
    const principal = await this.verifier.verify(token);
    if (!principal) throw ApiException.unauthorized();
    const jobId = validJobId(id);
    const { afterSeq: queryAfterSeq } = parseOrThrow(EventStreamQuerySchema, { afterSeq: query.afterSeq });
    const afterSeq =
      lastEventId !== undefined
        ? parseOrThrow(EventStreamQuerySchema, { afterSeq: lastEventId }).afterSeq
        : queryAfterSeq;
    const access = readAccessOf(principal);
    const reader = readAccessKey(access);
    const streamRefusal = this.streams.refusal(reader);
    if (streamRefusal) throw this.refuseStream(streamRefusal);

    const stream: OpenStream = {
      response,
      clientIp: this.gate.limiter.clientIp(request),
      reader,
      expiresAtS: Math.floor(principal.expiresAt / 1000),
    };
    this.streams.add(stream);
    this.gate.limiter.add(stream.clientIp);
    let heartbeat: NodeJS.Timeout | undefined;
    const relay = this.relayFactory.create(jobId, afterSeq ?? 0, {
      deliver: (events) => this.outbox.deliver(response, events),
      finish: () => {
        clearInterval(heartbeat);
        response.end();
      },
      whenWritable: () => this.outbox.whenWritable(response),
    });
    // On drain the stream just ends; EventSource reconnects (to another gateway) with Last-Event-ID.
    const stopOnDrain = this.lifecycle.onDrain(() => response.end());
    response.on('close', () => {
      clearInterval(heartbeat);
      stopOnDrain();
      relay.close();
      this.outbox.forget(response);
      this.streams.delete(stream);
    });
    const outcome = await relay.start(
      (record) => mayReadJob(access, record),
      (snapshot, backlog, reset) => {
        if (backlog.length === 0 && !reset && TERMINAL_STATUSES.includes(snapshot.status)) {
          // Resumed at the end of a finished job: 204 is what tells EventSource to stop reconnecting.
          response.writeHead(204).end();
          return;
        }
        response.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Tells nginx not to buffer the stream.
          'x-accel-buffering': 'no',
        });
        const resetFrame = reset ? `event: reset\ndata: ${JSON.stringify(snapshot)}\n\n` : '';
        response.write(`retry: 1000\n\n${resetFrame}${backlog.map(sseEventFrame).join('')}`);
        this.metrics.recordDelivered(backlog.length, 'sse');
        // A stream that is behind has traffic enough; the comment only keeps an idle one open.
        heartbeat = setInterval(() => {
          if (response.writableLength === 0) response.write(': keep-alive\n\n');
        }, this.config.SSE_HEARTBEAT);
      },
    );
    if (outcome === 'not-found') {
      this.streams.delete(stream);
      throw ApiException.jobNotFound(jobId);
    }
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
