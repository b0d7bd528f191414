import { describe, expect, it } from 'vitest';
import { JobEventSchema } from './job-event';
import { isTerminalEvent } from './terminal-events';
import { SubmitJobRequestSchema } from './http';
import { jsonDepth } from './json-limits';
import { SubscribeRequestSchema } from './socket';

describe('JobEventSchema', () => {
  it('accepts each event type with its data', () => {
    const envelope = { jobId: 'j1', seq: 1, at: 1 };
    const events = [
      { type: 'queued', data: {} },
      { type: 'started', data: { attempt: 1 } },
      { type: 'progress', data: { percent: 50, stage: 's', current: 1, total: 2 } },
      { type: 'log', data: { level: 'warn', message: 'm' } },
      { type: 'retrying', data: { attempt: 2, error: { message: 'e' }, delayMs: 100 } },
      { type: 'completed', data: { result: [1, 2] } },
      { type: 'failed', data: { error: { code: 'X', message: 'e' }, attempts: 3 } },
      { type: 'cancelled', data: {} },
    ];
    for (const body of events) expect(JobEventSchema.safeParse({ ...envelope, ...body }).success).toBe(true);
    expect(
      JobEventSchema.safeParse({ ...envelope, seq: 5, fromSeq: 3, type: 'progress', data: { percent: 1 } }).success,
    ).toBe(true);
  });

  it('rejects data that does not match the type, and seq below 1', () => {
    const bad = [
      { jobId: 'j1', seq: 1, at: 1, type: 'started', data: {} },
      { jobId: 'j1', seq: 1, at: 1, type: 'progress', data: { percent: 101 } },
      { jobId: 'j1', seq: 0, at: 1, type: 'queued', data: {} },
      { jobId: 'j1', seq: 1, at: 1, type: 'exploded', data: {} },
      { jobId: 'bad id', seq: 1, at: 1, type: 'queued', data: {} },
    ];
    for (const event of bad) expect(JobEventSchema.safeParse(event).success).toBe(false);
  });

  it('knows the terminal types', () => {
    expect(['completed', 'failed', 'cancelled'].every((type) => isTerminalEvent({ type: type as 'completed' }))).toBe(
      true,
    );
    expect(
      ['queued', 'started', 'progress', 'log', 'retrying'].some((type) => isTerminalEvent({ type: type as 'queued' })),
    ).toBe(false);
  });
});

describe('request schemas', () => {
  it('rejects unknown fields, so typos are reported instead of ignored', () => {
    expect(SubmitJobRequestSchema.safeParse({ type: 'demo.steps', atempts: 3 }).success).toBe(false);
    expect(SubscribeRequestSchema.safeParse({ jobId: 'j1', aftrSeq: 3 }).success).toBe(false);
  });

  it('bounds attempts and afterSeq', () => {
    expect(SubmitJobRequestSchema.safeParse({ type: 't', attempts: 26 }).success).toBe(false);
    expect(SubscribeRequestSchema.safeParse({ jobId: 'j1', afterSeq: 1.5 }).success).toBe(false);
    expect(SubscribeRequestSchema.parse({ jobId: 'j1', afterSeq: 0 })).toEqual({ jobId: 'j1', afterSeq: 0 });
  });
});

describe('payload limits', () => {
  it('refuses payloads nested too deep or too large, and measures depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 9; i += 1) deep = { a: deep };
    expect(SubmitJobRequestSchema.safeParse({ type: 't', payload: deep }).success).toBe(false);
    expect(SubmitJobRequestSchema.safeParse({ type: 't', payload: { text: 'x'.repeat(40_000) } }).success).toBe(false);
    expect(SubmitJobRequestSchema.safeParse({ type: 't', payload: { a: [{ b: 1 }] } }).success).toBe(true);
    expect([jsonDepth(1), jsonDepth({}), jsonDepth({ a: [1] }), jsonDepth([[[]]])]).toEqual([0, 1, 2, 3]);
  });
});
