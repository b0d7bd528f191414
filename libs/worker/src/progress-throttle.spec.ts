import type { ProgressData } from '@jobcast/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressThrottle, toPercent } from './progress-throttle';

describe('ProgressThrottle', () => {
  let published: number[];
  let throttle: ProgressThrottle;

  beforeEach(() => {
    vi.useFakeTimers();
    published = [];
    throttle = new ProgressThrottle(100, (progress: ProgressData) => {
      published.push(progress.percent);
      return Promise.resolve();
    });
  });

  afterEach(() => vi.useRealTimers());

  it('publishes at most one value per interval, the latest winning', () => {
    for (let percent = 1; percent <= 50; percent += 1) throttle.push({ percent });
    vi.advanceTimersByTime(99);
    expect(published).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(published).toEqual([50]);
    throttle.push({ percent: 60 });
    throttle.push({ percent: 70 });
    vi.advanceTimersByTime(100);
    expect(published).toEqual([50, 70]);
    vi.advanceTimersByTime(1000);
    expect(published).toEqual([50, 70]);
  });

  it('publishes at once when the last publish is an interval old', () => {
    vi.advanceTimersByTime(500);
    throttle.push({ percent: 5 });
    expect(published).toEqual([5]);
  });

  it('keeps 10,000 calls in one second to the rate', async () => {
    for (let i = 1; i <= 10_000; i += 1) {
      throttle.push({ percent: i / 100 });
      if (i % 10 === 0) vi.advanceTimersByTime(1);
    }
    await throttle.flush();
    // 1000 ms at 10 per second, plus the flush.
    expect(published.length).toBeLessThanOrEqual(11);
    expect(published.at(-1)).toBe(100);
  });

  it('flushes the pending value immediately', async () => {
    throttle.push({ percent: 1 });
    throttle.push({ percent: 2 });
    await throttle.flush();
    expect(published).toEqual([2]);
    vi.advanceTimersByTime(500);
    expect(published).toEqual([2]);
  });
});

describe('toPercent', () => {
  it('takes a percent or current/total, clamped to 0..100', () => {
    expect(toPercent(42.123)).toBe(42.12);
    expect(toPercent({ current: 1, total: 3 })).toBe(33.33);
    expect(toPercent({ current: 5, total: 0 })).toBe(0);
    expect(toPercent(250)).toBe(100);
    expect(toPercent(-1)).toBe(0);
  });
});
