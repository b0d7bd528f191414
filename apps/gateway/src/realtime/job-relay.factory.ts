import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import { JobEventLog } from '@jobcast/job-log';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { JobRelay, type RelayServices, type RelaySink } from './job-relay';
import { LiveJobEvents } from './live-job-events';

/**
 * Events a relay reads from the log at a time, and so the most a subscribe's answer carries: enough that
 * most backlogs are one read, small enough that a connection asking for long ones again and again costs
 * little before it counts as a slow consumer. At most half of SOCKET_MAX_PENDING_EVENTS, so that a page
 * alone never makes a connection that reads a slow consumer.
 */
const LOG_PAGE_EVENTS = 200;

/** Creates relays wired to this gateway's log reader and live feed. */
@Injectable()
export class JobRelayFactory {
  private readonly services: RelayServices;

  constructor(
    eventLog: JobEventLog,
    private readonly live: LiveJobEvents,
    @Inject(LOGGER) logger: Logger,
    metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    const pageSize = Math.min(LOG_PAGE_EVENTS, Math.floor(config.SOCKET_MAX_PENDING_EVENTS / 2));
    this.services = { eventLog, live, logger, openRelays: metrics.subscriptions, pageSize };
  }

  /** The copy of the job id the gateway's relays of the job already hold, or this one. */
  sharedJobId(jobId: string): string {
    return this.live.sharedJobId(jobId);
  }

  create(jobId: string, afterSeq: number, sink: RelaySink): JobRelay {
    return new JobRelay(jobId, afterSeq, this.services, sink);
  }
}
