import { describe, expect, it } from 'vitest';
import { classifyEvent } from './event-order';

describe('classifyEvent', () => {
  it('accepts the next seq', () => {
    expect(classifyEvent(0, { seq: 1 })).toBe('next');
    expect(classifyEvent(7, { seq: 8 })).toBe('next');
  });

  it('drops what was already delivered', () => {
    expect(classifyEvent(7, { seq: 7 })).toBe('duplicate');
    expect(classifyEvent(7, { seq: 2 })).toBe('duplicate');
    expect(classifyEvent(7, { seq: 5, fromSeq: 3 })).toBe('duplicate');
  });

  it('reports a gap when seqs are missing', () => {
    expect(classifyEvent(7, { seq: 9 })).toBe('gap');
    expect(classifyEvent(0, { seq: 2 })).toBe('gap');
  });

  it('accepts a conflated progress event that covers the gap', () => {
    expect(classifyEvent(7, { seq: 12, fromSeq: 8 })).toBe('next');
    expect(classifyEvent(7, { seq: 12, fromSeq: 5 })).toBe('next');
    expect(classifyEvent(7, { seq: 8, fromSeq: 8 })).toBe('next');
  });

  it('reports a gap when the conflated range starts after the next seq', () => {
    expect(classifyEvent(7, { seq: 12, fromSeq: 9 })).toBe('gap');
  });
});
