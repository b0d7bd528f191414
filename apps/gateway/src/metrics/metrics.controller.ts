import { Controller, Get, Header } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { JobTypeCatalog } from '../jobs/job-type-catalog';
import { GatewayMetrics } from './gateway-metrics';

/** Prometheus text. Unauthenticated like /healthz: keep it off the public load balancer. */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly queue: JobQueue,
    private readonly catalog: JobTypeCatalog,
  ) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    // Queue depths are read at scrape time; if Redis is away the other metrics still answer.
    this.metrics.queueJobs.reset();
    this.metrics.jobTypeWorkers.reset();
    await Promise.all(
      this.catalog.list().map(async ({ name, workers }) => {
        this.metrics.jobTypeWorkers.set({ type: name }, workers);
        const counts = await this.queue.counts(name).catch(() => ({}));
        for (const [state, count] of Object.entries(counts)) this.metrics.queueJobs.set({ type: name, state }, count);
      }),
    );
    return this.metrics.registry.metrics();
  }
}
