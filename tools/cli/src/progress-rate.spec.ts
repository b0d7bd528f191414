import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressRate } from './progress-rate';

describe('ProgressRate', () => {
  it('has no estimate before two samples show progress', () => {
    const rate = new ProgressRate();
    expect(rate.remainingMs()).toBeUndefined();
    rate.add(1000, 10);
    expect(rate.remainingMs()).toBeUndefined();
    rate.add(2000, 10);
    expect(rate.remainingMs()).toBeUndefined();
  });

  it('projects the recent rate to 100%', () => {
    const rate = new ProgressRate();
    rate.add(0, 0);
    rate.add(1000, 10);
    rate.add(2000, 20);
    expect(rate.remainingMs()).toBe(8000);
  });

  it('forgets samples older than its window', () => {
    const rate = new ProgressRate(1000);
    rate.add(0, 0);
    rate.add(100, 40); // a fast start
    rate.add(1100, 50);
    rate.add(2100, 60); // then 10% per second
    expect(rate.remainingMs()).toBe(4000);
  });

  it('starts over when progress goes back (a retry)', () => {
    const rate = new ProgressRate();
    rate.add(0, 0);
    rate.add(1000, 50);
    rate.add(2000, 0);
    expect(rate.remainingMs()).toBeUndefined();
    rate.add(6000, 20);
    expect(rate.remainingMs()).toBe(16_000);
  });
});

describe('formatDuration', () => {
  it('reads at a glance', () => {
    expect(formatDuration(800)).toBe('0.8s');
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });
});
