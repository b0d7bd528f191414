import { createMetricsRegistry, redisReconnectCounter } from '@jobcast/observability';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What a worker measures. */
export class WorkerMetrics {
  readonly registry: Registry = createMetricsRegistry('worker');

  readonly jobsFinished = new Counter({
    name: 'jobcast_jobs_finished_total',
    help: 'Jobs this worker ended, by final status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly attemptsFailed = new Counter({
    name: 'jobcast_attempts_failed_total',
    help: 'Attempts that failed and were retried',
    registers: [this.registry],
  });
  readonly jobsActive = new Gauge({
    name: 'jobcast_jobs_active',
    help: 'Jobs this worker is running now',
    registers: [this.registry],
  });
  readonly jobTypeConflicts = new Counter({
    name: 'jobcast_job_type_conflicts_total',
    help: 'Registrations of a job type this worker runs found with another payload schema, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly redisReconnects = redisReconnectCounter(this.registry);
}
