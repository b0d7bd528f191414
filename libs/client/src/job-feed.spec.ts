import type { FeedSubscribeAck, JobSnapshot } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import type { GatewayConnection } from './gateway-connection';
import { feedKey, JobFeed, type FeedHost } from './job-feed';

const job = (id: string, lastSeq: number, status: JobSnapshot['status'] = 'active'): JobSnapshot => ({
  id,
  type: 'demo.steps',
  status,
  percent: lastSeq,
  attempt: 1,
  lastSeq,
  createdAt: 1,
  updatedAt: lastSeq,
});

/** A connection that records each feed subscribe, to be answered by the test. */
function fakeConnection(): {
  connection: GatewayConnection;
  requests: Array<{ since: string | undefined; answer: (ack: unknown) => void }>;
} {
  const requests: Array<{ since: string | undefined; answer: (ack: unknown) => void }> = [];
  const connection: GatewayConnection = {
    connected: true,
    subscribe: () => undefined,
    unsubscribe: () => undefined,
    subscribeFeed: (_feed, since, _timeoutMs, answer) =>
      requests.push({ since, answer: (ack) => answer(ack as FeedSubscribeAck) }),
    unsubscribeFeed: () => undefined,
    close: () => undefined,
  };
  return { connection, requests };
}

const released: JobFeed[] = [];
const host: FeedHost = {
  ackTimeoutMs: 1000,
  retryDelay: () => 10,
  refreshToken: () => false,
  tokenAccepted: () => undefined,
  releaseFeed: (feed) => released.push(feed),
};

describe('JobFeed', () => {
  it('keeps each job’s snapshot with the highest lastSeq, the batch and the cursor, and ignores fields it does not know', () => {
    const { connection, requests } = fakeConnection();
    const feed = new JobFeed({ owner: 'me' }, 'owner me', {}, host);
    const changes: JobSnapshot[][] = [];
    feed.onChange((changed) => changes.push(changed));
    feed.attach(connection);
    requests[0]?.answer({ ok: true, jobs: [job('a', 3)], cursor: 'c1', more: true, somethingNew: 1 });
    feed.receive({ feed: { owner: 'me' }, jobs: [job('a', 2), job('b', 1)], cursor: 'c2', future: { x: 1 } });
    feed.receive({ feed: { owner: 'me' }, jobs: [{ ...job('a', 5), extra: true }, { id: 'broken' }], cursor: 'c3' });
    expect(feed.jobs.get('a')?.lastSeq).toBe(5);
    expect(feed.jobs.get('b')?.lastSeq).toBe(1);
    expect(feed.jobs.has('broken')).toBe(false);
    expect(feed.cursor).toBe('c3');
    expect(changes.map((changed) => changed.map((snapshot) => `${snapshot.id}@${snapshot.lastSeq}`))).toEqual([
      ['a@3'],
      ['b@1'],
      ['a@5'],
    ]);
  });

  it('resubscribes from its cursor on a new connection, and starts over on a reset', () => {
    const first = fakeConnection();
    const feed = new JobFeed({ tag: 't' }, 'tag t', { since: 'c0' }, host);
    let resets = 0;
    feed.onReset(() => (resets += 1));
    feed.attach(first.connection);
    expect(first.requests[0]?.since).toBe('c0');
    first.requests[0]?.answer({ ok: true, jobs: [job('a', 2)], cursor: 'c4' });
    feed.detach();
    const second = fakeConnection();
    feed.attach(second.connection);
    expect(second.requests[0]?.since).toBe('c4');
    second.requests[0]?.answer({ ok: true, jobs: [job('z', 1)], cursor: 'n1', reset: true });
    expect(resets).toBe(1);
    expect([...feed.jobs.keys()]).toEqual(['z']);
  });

  it('yields each change to async iteration, and fails it on a refusal that is not "not now"', async () => {
    const { connection, requests } = fakeConnection();
    const feed = new JobFeed({ batch: 'b' }, 'batch b', {}, host);
    feed.attach(connection);
    const batch = { id: 'b', total: 1, percent: 50, done: false } as unknown;
    requests[0]?.answer({ ok: true, jobs: [job('a', 1)], cursor: 'c1', batch });
    const iterator = feed[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual([job('a', 1)]);
    expect(feed.batch).toEqual(batch);
    feed.detach();
    feed.attach(connection);
    requests[1]?.answer({ ok: false, error: { code: 'BATCH_NOT_FOUND', message: 'gone' } });
    await expect(iterator.next()).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND' });
    expect(released).toContain(feed);
  });

  it('keys feeds by their shape, and nothing else', () => {
    expect(feedKey({ owner: 'me' })).toBe('owner me');
    expect(feedKey({ tag: 'x' })).toBe('tag x');
    expect(feedKey({ batch: 'b' })).toBe('batch b');
    expect(feedKey({ colour: 'red' })).toBeUndefined();
    expect(feedKey(null)).toBeUndefined();
  });
});
