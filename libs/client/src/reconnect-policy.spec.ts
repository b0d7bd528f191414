import { describe, expect, it } from 'vitest';
import { backoffDelay, ReconnectPolicy } from './reconnect-policy';

const backoff = { baseMs: 500, maxMs: 5000 };
const highest = (): number => 1 - Number.EPSILON;
const lowest = (): number => 0;

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 50, 2000].map((attempt) => backoffDelay(attempt, backoff, highest))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000, 5000, 5000,
    ]);
  });

  it('draws from the upper half of the ceiling', () => {
    expect(backoffDelay(0, backoff, lowest)).toBe(250);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(3000);
    expect(backoffDelay(9, backoff, lowest)).toBe(2500);
  });
});

describe('ReconnectPolicy', () => {
  it('goes round robin over the URLs', () => {
    const policy = new ReconnectPolicy(['a', 'b', 'c'], backoff, highest);
    const seen = [policy.url];
    for (let i = 0; i < 4; i++) {
      policy.next();
      seen.push(policy.url);
    }
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('backs off per failure and starts over after a connect', () => {
    const policy = new ReconnectPolicy(['a', 'b'], backoff, highest);
    expect([policy.next(), policy.next(), policy.next()]).toEqual([500, 1000, 2000]);
    policy.reset();
    expect(policy.next()).toBe(500);
    // The URL keeps rotating across a reset: the gateway that just dropped us is not retried first.
    expect(policy.url).toBe('a');
  });

  it('stays on a single URL', () => {
    const policy = new ReconnectPolicy(['only'], backoff, highest);
    policy.next();
    expect(policy.url).toBe('only');
  });

  it('refuses an empty URL list', () => {
    expect(() => new ReconnectPolicy([], backoff)).toThrow(TypeError);
  });
});
