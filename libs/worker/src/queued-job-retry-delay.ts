import { retryDelayMs } from '@jobcast/job-types';
import type { JobsOptions } from 'bullmq';

/**
 * How long BullMQ holds a job before its next attempt, once `failedAttempts` attempts have failed: the
 * retryDelayMs of the backoffMs the gateway queued it with (its `backoff` option). The workers' backoff
 * strategy answers it to BullMQ, and `retrying` reports it to watchers.
 */
export function queuedJobRetryDelayMs(backoff: JobsOptions['backoff'], failedAttempts: number): number {
  return retryDelayMs(typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0), failedAttempts);
}
