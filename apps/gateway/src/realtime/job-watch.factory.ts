import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import { JobEventLog } from '@jobcast/job-log';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { JobWatch, type WatchServices, type WatchSink } from './job-watch';
import { LiveJobEvents } from './live-job-events';

/**
 * Events a watch reads from the log at a time, and so the most a subscribe's answer carries: enough that
 * most backlogs are one read, small enough that a connection asking for long ones again and again costs
 * little before it counts as a slow consumer. At most half of SOCKET_MAX_PENDING_EVENTS, so that a page
 * alone never makes a connection that reads a slow consumer.
 */
const LOG_PAGE_EVENTS = 200;

/** Creates watches wired to this gateway's log reader and live feed. */
@Injectable()
export class JobWatchFactory {
  private readonly services: WatchServices;

  constructor(
    eventLog: JobEventLog,
    private readonly live: LiveJobEvents,
    @Inject(LOGGER) logger: Logger,
    metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    const pageSize = Math.min(LOG_PAGE_EVENTS, Math.floor(config.SOCKET_MAX_PENDING_EVENTS / 2));
    this.services = { eventLog, live, logger, openWatches: metrics.subscriptions, pageSize };
  }

  /** The copy of the job id the gateway's watches of the job already hold, or this one. */
  sharedJobId(jobId: string): string {
    return this.live.sharedJobId(jobId);
  }

  create(jobId: string, afterSeq: number, sink: WatchSink): JobWatch {
    return new JobWatch(jobId, afterSeq, this.services, sink);
  }
}
