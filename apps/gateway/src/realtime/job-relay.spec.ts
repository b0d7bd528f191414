import type { JobEvent } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { followsOn } from './job-relay';

const at = (seq: number): JobEvent => ({ jobId: 'j1', seq, at: 0, type: 'progress', data: { percent: seq } });

describe('followsOn', () => {
  it('accepts a burst that starts right after the last seq and has no hole', () => {
    expect(followsOn([at(4)], 3)).toBe(true);
    expect(followsOn([at(4), at(5), at(6)], 3)).toBe(true);
  });

  it('refuses an empty burst, one that repeats, skips ahead or has a hole', () => {
    expect(followsOn([], 3)).toBe(false);
    expect(followsOn([at(3), at(4)], 3)).toBe(false);
    expect(followsOn([at(5)], 3)).toBe(false);
    expect(followsOn([at(4), at(6)], 3)).toBe(false);
  });
});
