import { describe, expect, it } from 'vitest';
import { RETRY_BACKOFF_TYPE, retryBackoff, retryDelayMs } from './retry-backoff';

describe('retryDelayMs', () => {
  it("waits the type's backoffMs after the first failed attempt, then doubles it after each", () => {
    expect([1, 2, 3, 4].map((failed) => retryDelayMs(200, failed))).toEqual([200, 400, 800, 1600]);
  });

  it('retries at once when the type has no backoff', () => {
    expect([1, 2, 3].map((failed) => retryDelayMs(0, failed))).toEqual([0, 0, 0]);
  });
});

describe('retryBackoff', () => {
  it("queues a job with the workers' strategy and its type's first delay", () => {
    expect(retryBackoff(1000)).toEqual({ type: RETRY_BACKOFF_TYPE, delay: 1000 });
  });
});
