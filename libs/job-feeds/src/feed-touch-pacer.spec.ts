import type { JobSnapshot } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { FeedTouchPacer } from './feed-touch-pacer';

function job(lastSeq: number, status: JobSnapshot['status'], percent = 0, id = 'j1'): JobSnapshot {
  return { id, type: 't', status, percent, attempt: 1, lastSeq, createdAt: 0, updatedAt: lastSeq };
}

describe('FeedTouchPacer at 4 Hz (250 ms)', () => {
  it('touches every status change at once', () => {
    const pacer = new FeedTouchPacer(4);
    expect(pacer.offer(job(1, 'queued'), 0)?.lastSeq).toBe(1);
    expect(pacer.offer(job(2, 'active'), 1)?.lastSeq).toBe(2);
    expect(pacer.offer(job(3, 'retrying'), 2)?.lastSeq).toBe(3);
    expect(pacer.offer(job(4, 'active'), 3)?.lastSeq).toBe(4);
  });

  it('holds progress back within an interval, the newest winning, and touches it when due', () => {
    const pacer = new FeedTouchPacer(4);
    pacer.offer(job(2, 'active'), 0);
    expect(pacer.offer(job(3, 'active', 10), 50)).toBeUndefined();
    expect(pacer.offer(job(4, 'active', 20), 100)).toBeUndefined();
    expect(pacer.nextDueAt()).toBe(250);
    expect(pacer.due(249)).toEqual([]);
    expect(pacer.due(250).map((snapshot) => snapshot.percent)).toEqual([20]);
    expect(pacer.nextDueAt()).toBeUndefined();
    // The trailing touch starts a new interval.
    expect(pacer.offer(job(5, 'active', 30), 300)).toBeUndefined();
    expect(pacer.offer(job(6, 'active', 40), 500)?.percent).toBe(40);
  });

  it('never conflates a terminal state away, and drops what it held for the job', () => {
    const pacer = new FeedTouchPacer(4);
    pacer.offer(job(2, 'active'), 0);
    pacer.offer(job(3, 'active', 50), 10);
    expect(pacer.offer(job(4, 'completed', 100), 20)?.status).toBe('completed');
    expect(pacer.due(1000)).toEqual([]);
    expect(pacer.size).toBe(0);
  });

  it('drops a snapshot no newer than one offered before', () => {
    const pacer = new FeedTouchPacer(4);
    pacer.offer(job(5, 'active', 50), 0);
    expect(pacer.offer(job(4, 'queued'), 1000)).toBeUndefined();
    expect(pacer.offer(job(5, 'active', 50), 1000)).toBeUndefined();
  });

  it('paces each job on its own, and forgets a job quiet for an interval', () => {
    const pacer = new FeedTouchPacer(4);
    pacer.offer(job(2, 'active', 0, 'a'), 0);
    pacer.offer(job(2, 'active', 0, 'b'), 100);
    expect(pacer.offer(job(3, 'active', 10, 'a'), 120)).toBeUndefined();
    expect(pacer.offer(job(3, 'active', 10, 'b'), 120)).toBeUndefined();
    expect(pacer.due(250).map((snapshot) => snapshot.id)).toEqual(['a']);
    expect(pacer.due(350).map((snapshot) => snapshot.id)).toEqual(['b']);
    expect(pacer.due(600)).toEqual([]);
    expect(pacer.size).toBe(0);
  });
});
