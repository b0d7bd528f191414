import { ProcessMetrics } from '@jobcast/observability';

/** What a worker measures. */
export class WorkerMetrics extends ProcessMetrics {
  readonly jobsFinished = this.counter('jobcast_jobs_finished_total', 'Jobs this worker ended, by final status', [
    'status',
  ]);
  readonly attemptsFailed = this.counter('jobcast_attempts_failed_total', 'Attempts that failed and were retried');
  readonly jobsActive = this.gauge('jobcast_jobs_active', 'Jobs this worker is running now');
  readonly jobTypeConflicts = this.counter(
    'jobcast_job_type_conflicts_total',
    'Registrations of a job type this worker runs found with another payload schema, by type',
    ['type'],
  );

  constructor() {
    super('worker');
  }
}
