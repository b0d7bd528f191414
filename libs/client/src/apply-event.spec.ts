import type { JobEvent, JobEventBody, JobSnapshot } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event';

const base: JobSnapshot = {
  id: 'job-1',
  type: 'demo.steps',
  status: 'queued',
  percent: 0,
  attempt: 0,
  lastSeq: 1,
  createdAt: 1000,
  updatedAt: 1000,
};

function event(seq: number, body: JobEventBody, at = 1000 + seq): JobEvent {
  return { jobId: 'job-1', seq, at, ...body };
}

describe('applyEvent', () => {
  it('moves status, attempt, progress and lastSeq the way the log does', () => {
    let snapshot = applyEvent(base, event(2, { type: 'started', data: { attempt: 1 } }));
    expect(snapshot).toEqual({ ...base, status: 'active', attempt: 1, lastSeq: 2, updatedAt: 1002 });
    snapshot = applyEvent(
      snapshot,
      event(3, { type: 'progress', data: { percent: 40, stage: 'copy', message: '4/10', current: 4, total: 10 } }),
    );
    expect(snapshot).toMatchObject({ percent: 40, stage: 'copy', message: '4/10', lastSeq: 3, updatedAt: 1003 });
    // Progress without stage or message keeps the previous ones, as the server's snapshot does.
    snapshot = applyEvent(snapshot, event(4, { type: 'progress', data: { percent: 50 } }));
    expect(snapshot).toMatchObject({ percent: 50, stage: 'copy', message: '4/10', lastSeq: 4 });
    snapshot = applyEvent(snapshot, event(5, { type: 'log', data: { level: 'info', message: 'hello' } }));
    expect(snapshot).toMatchObject({ percent: 50, status: 'active', lastSeq: 5, updatedAt: 1005 });
  });

  it('records the error on retrying and clears it on completed', () => {
    const active = { ...base, status: 'active' as const, attempt: 1, lastSeq: 2 };
    const retrying = applyEvent(
      active,
      event(3, { type: 'retrying', data: { attempt: 1, error: { message: 'boom' }, delayMs: 100 } }),
    );
    expect(retrying).toMatchObject({ status: 'retrying', error: { message: 'boom' } });
    const restarted = applyEvent(retrying, event(4, { type: 'started', data: { attempt: 2 } }));
    expect(restarted).toMatchObject({ status: 'active', attempt: 2, error: { message: 'boom' } });
    const completed = applyEvent(restarted, event(5, { type: 'completed', data: { result: { ok: 1 } } }));
    expect(completed).toEqual({
      ...restarted,
      status: 'completed',
      percent: 100,
      result: { ok: 1 },
      lastSeq: 5,
      updatedAt: 1005,
      error: undefined,
    });
    expect('error' in completed).toBe(false);
  });

  it('stores a missing result as null', () => {
    expect(applyEvent(base, event(2, { type: 'completed', data: { result: undefined } })).result).toBeNull();
  });

  it('records failed and cancelled', () => {
    expect(
      applyEvent(base, event(2, { type: 'failed', data: { error: { code: 'E', message: 'no' }, attempts: 3 } })),
    ).toMatchObject({
      status: 'failed',
      error: { code: 'E', message: 'no' },
    });
    expect(applyEvent(base, event(2, { type: 'cancelled', data: { reason: 'user' } }))).toMatchObject({
      status: 'cancelled',
      message: 'user',
    });
    expect(applyEvent({ ...base, message: 'm' }, event(2, { type: 'cancelled', data: {} }))).toMatchObject({
      status: 'cancelled',
      message: 'm',
    });
  });

  it('resets percent and attempt on queued', () => {
    expect(
      applyEvent({ ...base, percent: 30, attempt: 2, lastSeq: 4 }, event(5, { type: 'queued', data: {} })),
    ).toMatchObject({
      status: 'queued',
      percent: 0,
      attempt: 0,
    });
  });

  it('returns the same snapshot for an event it already includes', () => {
    const snapshot = { ...base, lastSeq: 5 };
    expect(applyEvent(snapshot, event(5, { type: 'progress', data: { percent: 99 } }))).toBe(snapshot);
    expect(applyEvent(snapshot, event(3, { type: 'completed', data: { result: 1 } }))).toBe(snapshot);
  });

  it('does not modify its input', () => {
    const snapshot = { ...base };
    applyEvent(snapshot, event(2, { type: 'started', data: { attempt: 1 } }));
    expect(snapshot).toEqual(base);
  });
});
