import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import type { JobEventLog, JobRecord } from '@jobcast/job-log';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobFeedTouches } from './job-feed-touches';
import type { JobFeeds } from './job-feeds';

function job(lastSeq: number, status: JobSnapshot['status'], percent = 0): JobSnapshot {
  return { id: 'j1', type: 't', status, percent, attempt: 1, lastSeq, createdAt: 0, updatedAt: lastSeq };
}

function event(seq: number, body: Pick<JobEvent, 'type' | 'data'>): JobEvent {
  return { jobId: 'j1', seq, at: seq, ...body } as JobEvent;
}

/**
 * The touches' decisions, with the feed store and the job log replaced by records of what was asked of them:
 * what reaches Redis is tested in job-feeds' own e2e test and in batches.e2e.test.ts.
 */
function world(stored: JobSnapshot) {
  const touched: JobSnapshot[] = [];
  let reads = 0;
  const feeds = {
    touchJob: (record: { owner: string; snapshot: JobSnapshot }) => {
      expect(record.owner).toBe('acme:alice');
      touched.push(record.snapshot);
      return Promise.resolve();
    },
  } as unknown as JobFeeds;
  const eventLog = {
    getRecord: () => {
      reads += 1;
      return Promise.resolve({ owner: 'acme:alice', snapshot: stored } as JobRecord);
    },
  } as unknown as JobEventLog;
  const touches = new JobFeedTouches(feeds, eventLog, { maxHz: 4, onError: (error) => expect.fail(String(error)) });
  return {
    touches,
    touched: () => touched.map((snapshot) => [snapshot.status, snapshot.percent, snapshot.lastSeq]),
    reads: () => reads,
    store: (snapshot: JobSnapshot) => (stored = snapshot),
  };
}

describe('JobFeedTouches', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('touches status changes at once, paces progress, and touches the held-back progress when due', async () => {
    vi.useFakeTimers({ now: 0 });
    const { touches, touched } = world(job(1, 'queued'));
    await touches.offer({ owner: 'acme:alice', snapshot: job(1, 'queued') });
    await touches.offer({ owner: 'acme:alice', snapshot: job(2, 'active') });
    await touches.offer({ owner: 'acme:alice', snapshot: job(3, 'active', 10) });
    await touches.offer({ owner: 'acme:alice', snapshot: job(4, 'active', 20) });
    expect(touched()).toEqual([
      ['queued', 0, 1],
      ['active', 0, 2],
    ]);
    await vi.advanceTimersByTimeAsync(250);
    expect(touched().at(-1)).toEqual(['active', 20, 4]);
    touches.close();
  });

  it('touches a terminal state whenever it is offered, again too', async () => {
    const { touches, touched } = world(job(1, 'queued'));
    await touches.offer({ owner: 'acme:alice', snapshot: job(5, 'completed', 100) });
    await touches.offer({ owner: 'acme:alice', snapshot: job(5, 'completed', 100) });
    expect(touched()).toEqual([
      ['completed', 100, 5],
      ['completed', 100, 5],
    ]);
    touches.close();
  });

  it('tracks a writer’s job: one read, then each event applied; a gap reads it again', async () => {
    const { touches, touched, reads, store } = world(job(2, 'active'));
    const tracker = touches.track('j1');
    await tracker.appended(event(2, { type: 'started', data: { attempt: 1 } }));
    await tracker.appended(event(3, { type: 'log', data: { level: 'info', message: 'x' } }));
    expect(reads()).toBe(1);
    // seq 4 was appended elsewhere (a cancel): the writer's next event is 5.
    store(job(5, 'cancelled'));
    await tracker.appended(event(5, { type: 'log', data: { level: 'info', message: 'y' } }));
    expect(reads()).toBe(2);
    expect(touched()).toEqual([
      ['active', 0, 2],
      ['cancelled', 0, 5],
    ]);
    await tracker.endedElsewhere();
    expect(touched().at(-1)).toEqual(['cancelled', 0, 5]);
    expect(touched()).toHaveLength(3);
    touches.close();
  });

  it('moves the tracked snapshot as the log does, to the terminal touch', async () => {
    const { touches, touched } = world(job(2, 'active'));
    const tracker = touches.track('j1');
    await tracker.appended(event(2, { type: 'started', data: { attempt: 1 } }));
    await tracker.appended(event(3, { type: 'completed', data: { result: { ok: true } } }));
    expect(touched().at(-1)).toEqual(['completed', 100, 3]);
    touches.close();
  });
});
