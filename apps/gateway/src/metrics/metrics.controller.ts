import { Controller, Get, Header } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { GatewayMetrics } from './gateway-metrics';

/** Prometheus text. Unauthenticated like /healthz: keep it off the public load balancer. */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly queue: JobQueue,
  ) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    // Queue depth is read at scrape time; if Redis is away the other metrics still answer.
    const counts = await this.queue.counts().catch(() => ({}));
    for (const [state, count] of Object.entries(counts)) this.metrics.queueJobs.set({ state }, count);
    return this.metrics.registry.metrics();
  }
}
