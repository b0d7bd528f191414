import { describe, expect, it } from 'vitest';
import { SubscribeRate } from './subscribe-rate';

describe('SubscribeRate', () => {
  it('allows a burst, then the rate', () => {
    let now = 1_700_000_000_000;
    const rate = new SubscribeRate(10, 10, () => now);
    let arrivalAt = rate.initial;
    const take = (): boolean => {
      const next = rate.take(arrivalAt);
      if (next === undefined) return false;
      arrivalAt = next;
      return true;
    };
    expect(Array.from({ length: 12 }, take).filter(Boolean)).toHaveLength(10);
    now += 100;
    expect(take()).toBe(true);
    expect(take()).toBe(false);
    now += 10_000;
    expect(Array.from({ length: 20 }, take).filter(Boolean)).toHaveLength(10);
    expect(Number.isInteger(arrivalAt)).toBe(true);
  });
});
