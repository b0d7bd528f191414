import { LOGGER } from '@jobcast/observability';
import { Controller, Get, Headers, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { EventStreamQuerySchema } from '@jobcast/contracts';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { mayRead, readerKey } from '../../auth/job-access';
import { TokenVerifier } from '../../auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { ApiException } from '../../http/api-exception';
import { parseOrThrow } from '../../http/parse-or-throw';
import { validJobId } from '../../jobs/jobs.controller';
import { GatewayLifecycle } from '../../lifecycle/gateway-lifecycle';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { JobWatchFactory } from '../job-watch.factory';
import { Outbox } from '../outbox';
import { sseEventFrame, sseTransport } from './sse-transport';

/**
 * `GET /jobs/:id/events`, SSE's adapter to the delivery core: the same watch and outbox as a socket
 * subscription, as Server-Sent Events. Resumes after `Last-Event-ID` (what EventSource sends on reconnect)
 * or `?afterSeq=`, and ends after the terminal event. EventSource cannot set headers, so the token may also
 * come as `?access_token=`. When the log cannot give every event after the resume point, the stream starts
 * with `event: reset` carrying the snapshot.
 */
@Controller('jobs')
export class JobEventsSseController {
  private readonly outbox: Outbox<Response>;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly watches: JobWatchFactory,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly lifecycle: GatewayLifecycle,
    private readonly metrics: GatewayMetrics,
  ) {
    this.outbox = new Outbox(sseTransport, config.SOCKET_MAX_PENDING_EVENTS, metrics, logger);
  }

  @Get(':id/events')
  async stream(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
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

    let heartbeat: NodeJS.Timeout | undefined;
    const watch = this.watches.create(jobId, afterSeq ?? 0, {
      deliver: (events) => this.outbox.deliver(response, events),
      finish: () => {
        clearInterval(heartbeat);
        response.end();
      },
    });
    // On drain the stream just ends; EventSource reconnects (to another gateway) with Last-Event-ID.
    const stopOnDrain = this.lifecycle.onDrain(() => response.end());
    response.on('close', () => {
      clearInterval(heartbeat);
      stopOnDrain();
      watch.close();
      this.outbox.forget(response);
    });
    const reader = readerKey(principal);
    const outcome = await watch.start(
      (record) => mayRead(reader, record),
      (snapshot, backlog, reset) => {
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
        heartbeat = setInterval(() => response.write(': keep-alive\n\n'), this.config.SSE_HEARTBEAT);
      },
    );
    if (outcome === 'not-found') throw ApiException.jobNotFound(jobId);
  }
}
