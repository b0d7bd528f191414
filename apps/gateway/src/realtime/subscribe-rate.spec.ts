import { describe, expect, it } from 'vitest';
import { takeSubscribe } from './subscribe-rate';

describe('takeSubscribe', () => {
  it('allows a burst, then the rate', () => {
    let now = 0;
    let arrivalAt = 0;
    const take = (): boolean => {
      const next = takeSubscribe(arrivalAt, 10, 10, now);
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
  });
});
