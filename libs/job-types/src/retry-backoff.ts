/**
 * How long a job waits before its next attempt, once `failedAttempts` attempts have failed: its type's
 * `backoffMs` after the first, twice that after the second, and so on. The one place this is computed:
 * BullMQ waits it (workers give it as their backoff strategy) and `retrying` tells watchers it.
 */
export function retryDelayMs(backoffMs: number, failedAttempts: number): number {
  return backoffMs * 2 ** (failedAttempts - 1);
}

/** BullMQ's name for the backoff of every queued job: one it leaves to the workers' strategy, retryDelayMs. */
export const RETRY_BACKOFF_TYPE = 'jobcast';

/** A job's backoff options as BullMQ keeps them in the job: the strategy, and its type's `backoffMs`. */
export interface RetryBackoff {
  type: typeof RETRY_BACKOFF_TYPE;
  delay: number;
}

/** The backoff a job is queued with. */
export function retryBackoff(backoffMs: number): RetryBackoff {
  return { type: RETRY_BACKOFF_TYPE, delay: backoffMs };
}
