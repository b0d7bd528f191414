import type { JobSnapshot } from '@jobcast/contracts';
import { decodeFeedCursor, encodeFeedCursor, type FeedPage, type FeedUpdate, type JobFeeds } from '@jobcast/job-feeds';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FeedRelay, type FeedDelivery, type FeedSink } from './feed-relay';
import type { FeedUpdateListener, LiveFeedUpdates } from './live-feed-updates';

const EPOCH = 'abcdefabcdefabcd';
const cursorAt = (clock: number, epoch = EPOCH): string => encodeFeedCursor({ epoch, clock });

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

/**
 * A feed as the relay reads it: each change moves the clock by one and rescores the job. Reads answer every
 * job changed after a cursor at its current state, as the feed store does.
 */
class FakeFeed {
  clock = 0;
  epoch = EPOCH;
  readonly changes = new Map<string, { clock: number; job: JobSnapshot }>();
  readonly reads: Array<string | undefined> = [];
  listener: FeedUpdateListener | undefined;

  /** Records a change; answers its update, as the channel would carry it. */
  change(snapshot: JobSnapshot): FeedUpdate {
    this.clock += 1;
    this.changes.set(snapshot.id, { clock: this.clock, job: snapshot });
    return { job: snapshot, cursor: cursorAt(this.clock, this.epoch) };
  }

  /** A change that also goes out live. */
  publish(snapshot: JobSnapshot): void {
    this.listener?.onUpdate(this.change(snapshot));
  }

  readonly feeds = {
    read: async (_feed: unknown, options: { since?: string; limit: number }): Promise<FeedPage> => {
      this.reads.push(options.since);
      await Promise.resolve();
      const since = options.since === undefined ? undefined : decodeFeedCursor(options.since);
      const sorted = [...this.changes.values()].sort((a, b) => a.clock - b.clock);
      if (since && since.epoch === this.epoch) {
        const after = sorted.filter((entry) => entry.clock > since.clock);
        return { jobs: after.map((entry) => entry.job), cursor: cursorAt(this.clock, this.epoch) };
      }
      return {
        jobs: sorted.reverse().map((entry) => entry.job),
        cursor: cursorAt(this.clock, this.epoch),
        ...(since && { reset: true as const }),
      };
    },
  } as unknown as JobFeeds;

  readonly live = {
    watch: async (_feed: unknown, listener: FeedUpdateListener) => {
      this.listener = listener;
      await Promise.resolve();
    },
    unwatch: () => {
      this.listener = undefined;
    },
  } as unknown as LiveFeedUpdates;
}

/** A connection that takes writes at once, until `busy`; `drain()` makes it writable again. */
class FakeSink implements FeedSink {
  readonly delivered: FeedDelivery[] = [];
  busy = false;
  overflowed = false;
  private waiting: Array<() => void> = [];

  deliver(delivery: FeedDelivery): void {
    this.delivered.push(delivery);
  }

  whenWritable(): Promise<void> | undefined {
    if (!this.busy) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  overflow(): void {
    this.overflowed = true;
  }

  async drain(): Promise<void> {
    this.busy = false;
    for (const resolve of this.waiting.splice(0)) resolve();
    await settle();
  }

  /** Each job's newest snapshot among what was delivered. */
  latest(): Map<string, JobSnapshot> {
    const byJob = new Map<string, JobSnapshot>();
    for (const { jobs } of this.delivered) {
      for (const snapshot of jobs)
        if ((byJob.get(snapshot.id)?.lastSeq ?? 0) < snapshot.lastSeq) byJob.set(snapshot.id, snapshot);
    }
    return byJob;
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
};

const gauge = { inc: () => undefined, dec: () => undefined } as unknown as Gauge;
const logger = { warn: () => undefined } as unknown as Logger;

function relayOf(feed: FakeFeed, sink: FakeSink, since?: string, maxPending = 100): FeedRelay {
  return new FeedRelay(
    'feed owner me',
    { kind: 'owner', owner: ':alice' },
    since,
    {
      feeds: feed.feeds,
      live: feed.live,
      logger,
      openRelays: gauge,
      pageSize: 10,
      maxPending,
    },
    sink,
  );
}

describe('FeedRelay', () => {
  it('answers the page, then passes on each change after it, and drops one it already had', async () => {
    const feed = new FakeFeed();
    feed.change(job('a', 1));
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    const pages: FeedPage[] = [];
    expect(await relay.start((page) => pages.push(page))).toBe('started');
    expect(pages[0]?.cursor).toBe(cursorAt(1));
    const update = feed.change(job('a', 2));
    relay.onUpdate(update);
    relay.onUpdate(update);
    expect(sink.delivered).toEqual([{ jobs: [job('a', 2)], cursor: cursorAt(2) }]);
    expect(relay.currentState).toBe('live');
  });

  it('passes on a change made during the read only when the read did not see it', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    const started = relay.start(() => undefined);
    // Published after the relay joined the channel, before its read: the read has it, so it is not sent again.
    await Promise.resolve();
    feed.publish(job('a', 1));
    await started;
    expect(sink.delivered).toEqual([]);
    feed.publish(job('a', 2));
    expect(sink.latest().get('a')?.lastSeq).toBe(2);
  });

  it('reads the feed again from its cursor after a gap in the clock, so a change the channel lost still arrives', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    await relay.start(() => undefined);
    feed.change(job('lost', 1));
    feed.publish(job('b', 1));
    await settle();
    expect(feed.reads).toEqual([undefined, cursorAt(0)]);
    expect([...sink.latest().keys()].sort()).toEqual(['b', 'lost']);
    expect(sink.delivered.at(-1)?.cursor).toBe(cursorAt(2));
  });

  it('reads again from its cursor on a resync', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    await relay.start(() => undefined);
    feed.publish(job('a', 1));
    feed.change(job('b', 1));
    relay.onResync();
    await settle();
    expect(feed.reads.at(-1)).toBe(cursorAt(1));
    expect(sink.latest().get('b')?.lastSeq).toBe(1);
  });

  it('answers a feed whose epoch changed (a Redis that lost it) with a reset', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    await relay.start(() => undefined);
    feed.epoch = 'ffffffffffffffff';
    feed.changes.clear();
    feed.clock = 0;
    feed.publish(job('a', 1));
    await settle();
    expect(sink.delivered.at(-1)).toMatchObject({ reset: true, jobs: [job('a', 1)] });
  });

  it('keeps only each job’s newest snapshot for a busy connection, and sends them together with the newest cursor', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    await relay.start(() => undefined);
    sink.busy = true;
    feed.publish(job('a', 1));
    feed.publish(job('b', 1));
    feed.publish(job('a', 2));
    feed.publish(job('b', 5, 'completed'));
    // A change it already had (a repeated message) changes nothing.
    relay.onUpdate({ job: job('b', 4), cursor: cursorAt(4) });
    expect(sink.delivered).toEqual([]);
    await sink.drain();
    expect(sink.delivered).toEqual([{ jobs: [job('a', 2), job('b', 5, 'completed')], cursor: cursorAt(4) }]);
  });

  it('drops a connection once more jobs wait than its bound', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink, undefined, 3);
    await relay.start(() => undefined);
    sink.busy = true;
    for (const id of ['a', 'b', 'c']) feed.publish(job(id, 1));
    expect(sink.overflowed).toBe(false);
    feed.publish(job('d', 1));
    expect(sink.overflowed).toBe(true);
    expect(relay.isOpen).toBe(false);
  });

  it('delivers nothing once closed', async () => {
    const feed = new FakeFeed();
    const sink = new FakeSink();
    const relay = relayOf(feed, sink);
    await relay.start(() => undefined);
    relay.close();
    feed.change(job('a', 1));
    relay.onUpdate({ job: job('a', 1), cursor: cursorAt(1) });
    expect(sink.delivered).toEqual([]);
  });
});
