import type { JobTypeRegistration } from '@jobcast/job-types';

/** What a submit creates, checked and ready: a job for a worker, or one a service runs and reports itself. */
export type NewJob = QueuedJob | ExternalJob;

/** A job a worker runs: queued on its registered type's queue with its checked payload. */
export interface QueuedJob {
  readonly kind: 'queued';
  readonly type: JobTypeRegistration;
  readonly payload: unknown;
  /** Overrides the type's default number of attempts. */
  readonly attempts?: number;
}

/**
 * A job its service runs itself and reports over HTTP (`POST /jobs/:id/events`): nothing is queued, and it
 * fails with LEASE_EXPIRED when no report comes for `leaseMs`.
 */
export interface ExternalJob {
  readonly kind: 'external';
  /** The owner key of the service that created it. */
  readonly publisher: string;
  readonly leaseMs: number;
}

/** An external job's lease when its submit does not say. */
export const DEFAULT_LEASE_MS = 60_000;
