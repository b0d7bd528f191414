import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import { JobEventLog } from '@jobcast/job-log';
import type { Logger } from 'pino';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { JobWatch, type WatchServices, type WatchSink } from './job-watch';
import { LiveJobEvents } from './live-job-events';

/** Creates watches wired to this gateway's log reader and live feed. */
@Injectable()
export class JobWatchFactory {
  private readonly services: WatchServices;

  constructor(
    eventLog: JobEventLog,
    private readonly live: LiveJobEvents,
    @Inject(LOGGER) logger: Logger,
    metrics: GatewayMetrics,
  ) {
    this.services = { eventLog, live, logger, openWatches: metrics.subscriptions };
  }

  /** The copy of the job id the gateway's watches of the job already hold, or this one. */
  sharedJobId(jobId: string): string {
    return this.live.sharedJobId(jobId);
  }

  create(jobId: string, afterSeq: number, sink: WatchSink): JobWatch {
    return new JobWatch(jobId, afterSeq, this.services, sink);
  }
}
