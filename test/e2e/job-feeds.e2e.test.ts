import type { JobEventBody, JobSnapshot } from '@jobcast/contracts';
import {
  BatchError,
  FeedCursorError,
  JobFeeds,
  JobTagIndex,
  decodeFeedUpdate,
  feedsOfJob,
  type FeedUpdate,
} from '@jobcast/job-feeds';
import { JobEventLog } from '@jobcast/job-log';
import {
  RedisCluster,
  ensureRedisServer,
  freePort,
  redisServerProcess,
  type ManagedProcess,
} from '@jobcast/local-stack';
import { RedisKeys, createRedisConnection, type FeedIdentity, type RedisClient } from '@jobcast/redis';
import { Cluster } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';

const MAX_JOBS = 20;

/** The feed store on a real Redis: where it runs, and a command and a subscriber connection to it. */
interface FeedWorld {
  redis: RedisClient;
  subscriber: RedisClient;
  keys: RedisKeys;
  log: JobEventLog;
  feeds: JobFeeds;
  tagIndex: JobTagIndex;
  /** FLUSHALL on every master: what a Redis that lost everything looks like. */
  flushAll(): Promise<void>;
}

/** A redis-server, or a Redis Cluster of three masters, for the tests of the enclosing describe. */
function useFeedWorld(topology: 'single' | 'cluster'): FeedWorld {
  const stateDir = mkdtempSync(join(tmpdir(), 'jobcast-feeds-'));
  const world = {} as FeedWorld;
  let server: ManagedProcess | undefined;
  let cluster: RedisCluster | undefined;

  beforeAll(async () => {
    const binary = ensureRedisServer(() => undefined);
    let config: { url: string; clusterNodes?: Array<{ host: string; port: number }>; keyPrefix: string };
    if (topology === 'single') {
      const port = await freePort();
      server = redisServerProcess({ binary, port, dataDir: join(stateDir, 'redis'), logDir: stateDir });
      await server.start();
      config = { url: `redis://127.0.0.1:${port}`, keyPrefix: 'feeds' };
    } else {
      cluster = new RedisCluster({ binary, masters: 3, dataDir: join(stateDir, 'cluster'), logDir: stateDir });
      await cluster.start();
      const clusterNodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
      config = { url: 'redis://127.0.0.1:6379', clusterNodes, keyPrefix: 'feeds' };
    }
    world.redis = createRedisConnection(config, { name: 'feeds-test' });
    world.subscriber = createRedisConnection(config, { name: 'feeds-test-subscriber' });
    world.keys = new RedisKeys(config.keyPrefix);
    world.log = new JobEventLog(world.redis, world.keys, { ttlSeconds: 600, maxEvents: 1000, maxAgeMs: 3_600_000 });
    world.feeds = new JobFeeds(world.redis, world.keys, world.log, { maxJobs: MAX_JOBS, ttlMs: 3_600_000 });
    world.tagIndex = new JobTagIndex(world.redis, world.keys, { maxAgeMs: 3_600_000, maxJobs: 5 });
    world.flushAll = async () => {
      const masters = world.redis instanceof Cluster ? world.redis.nodes('master') : [world.redis];
      await Promise.all(masters.map((master) => master.flushall()));
    };
  }, 60_000);

  afterAll(async () => {
    world.redis?.disconnect();
    world.subscriber?.disconnect();
    await server?.dispose();
    await cluster?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  return world;
}

for (const topology of ['single', 'cluster'] as const) {
  describe(`feeds on ${topology === 'single' ? 'one redis-server' : 'a 3-master Redis Cluster'}`, () => {
    const world = useFeedWorld(topology);

    /** A new owner per test: each test's feeds start empty. */
    const newOwner = () => `acme:${randomUUID()}`;

    async function createJob(owner: string, extra: { tags?: string[]; batchId?: string } = {}): Promise<JobSnapshot> {
      const job = await world.log.create({ id: randomUUID(), type: 'demo.steps', owner, ...extra });
      await world.feeds.touchJob({ owner, snapshot: job });
      return job;
    }

    /** Appends an event and touches the job's feeds with the snapshot it leads to, as a write hook does. */
    async function change(owner: string, jobId: string, body: JobEventBody): Promise<JobSnapshot> {
      await world.log.append(jobId, body);
      const record = await world.log.getRecord(jobId);
      if (!record) throw new Error(`job ${jobId} is gone`);
      await world.feeds.touchJob({ owner, snapshot: record.snapshot });
      return record.snapshot;
    }

    const ids = (jobs: readonly JobSnapshot[]) => jobs.map((job) => job.id);

    it('answers the newest jobs first, with more when older ones exist, and the change of each job once', async () => {
      const owner = newOwner();
      const feed: FeedIdentity = { kind: 'owner', owner };
      const empty = await world.feeds.read(feed, { limit: 3 });
      expect(empty.jobs).toEqual([]);
      expect(empty.more).toBeUndefined();
      // Reading a feed no job touched yet leaves nothing behind in Redis.
      expect(await world.redis.exists(world.keys.feedClock(feed))).toBe(0);
      const jobs = [];
      for (let i = 0; i < 5; i += 1) jobs.push(await createJob(owner));
      // A cursor of the feed from before it had any job resumes at its start.
      const fromEmpty = await world.feeds.read(feed, { since: empty.cursor, limit: 10 });
      expect(fromEmpty.reset).toBeUndefined();
      expect(ids(fromEmpty.jobs)).toEqual(ids(jobs));
      // The first job changes last: it moves to the front, once.
      await change(owner, jobs[0]!.id, { type: 'started', data: { attempt: 1 } });
      const page = await world.feeds.read(feed, { limit: 3 });
      expect(ids(page.jobs)).toEqual([jobs[0]!.id, jobs[4]!.id, jobs[3]!.id]);
      expect(page.jobs[0]?.status).toBe('active');
      expect(page.more).toBe(true);
      const all = await world.feeds.read(feed, { limit: 10 });
      expect(all.jobs).toHaveLength(5);
      expect(all.more).toBeUndefined();
    });

    it('answers, since a cursor, every job changed after it at its current state, page by page', async () => {
      const owner = newOwner();
      const feed: FeedIdentity = { kind: 'owner', owner };
      const jobs = [];
      for (let i = 0; i < 6; i += 1) jobs.push(await createJob(owner));
      const { cursor } = await world.feeds.read(feed, { limit: 10 });
      expect((await world.feeds.read(feed, { since: cursor, limit: 10 })).jobs).toEqual([]);
      await change(owner, jobs[1]!.id, { type: 'started', data: { attempt: 1 } });
      await change(owner, jobs[3]!.id, { type: 'started', data: { attempt: 1 } });
      await change(owner, jobs[1]!.id, { type: 'progress', data: { percent: 40 } });
      await change(owner, jobs[5]!.id, { type: 'cancelled', data: {} });
      await change(owner, jobs[3]!.id, { type: 'completed', data: { result: 1 } });
      const first = await world.feeds.read(feed, { since: cursor, limit: 2 });
      expect(ids(first.jobs)).toEqual([jobs[1]!.id, jobs[5]!.id]);
      expect(first.jobs[0]?.percent).toBe(40);
      expect(first.more).toBe(true);
      const second = await world.feeds.read(feed, { since: first.cursor, limit: 2 });
      expect(ids(second.jobs)).toEqual([jobs[3]!.id]);
      expect(second.jobs[0]?.status).toBe('completed');
      expect(second.more).toBeUndefined();
      expect((await world.feeds.read(feed, { since: second.cursor, limit: 2 })).jobs).toEqual([]);
    });

    it('publishes each change with a cursor to resume after it, on each feed of the job', async () => {
      const owner = newOwner();
      const feeds = feedsOfJob({ owner, tags: ['uploads'] });
      const updates = new Map<string, FeedUpdate[]>();
      const byChannel = new Map(feeds.map((feed) => [world.keys.feedChannel(feed), feed]));
      world.subscriber.on('smessage', (channel: string, message: string) => {
        const feed = byChannel.get(channel);
        if (feed) updates.set(channel, [...(updates.get(channel) ?? []), decodeFeedUpdate(feed, message)]);
      });
      await Promise.all([...byChannel.keys()].map((channel) => world.subscriber.ssubscribe(channel)));
      const job = await createJob(owner, { tags: ['uploads'] });
      const started = await change(owner, job.id, { type: 'started', data: { attempt: 1 } });
      await eventually('two updates on each of the three feeds', () =>
        [...byChannel.keys()].every((channel) => updates.get(channel)?.length === 2),
      );
      for (const [channel, feed] of byChannel) {
        const [, last] = updates.get(channel) ?? [];
        expect(last?.job).toEqual(started);
        expect(last?.job.tags).toEqual(['uploads']);
        // Nothing after the last update's cursor; the job itself after the first's.
        expect((await world.feeds.read(feed, { since: last!.cursor, limit: 10 })).jobs).toEqual([]);
      }
      await Promise.all([...byChannel.keys()].map((channel) => world.subscriber.sunsubscribe(channel)));
    });

    it('keeps a tag feed per owner and per tenant', async () => {
      const alice = newOwner();
      const bob = newOwner();
      const tenant = alice.split(':')[0] as string;
      const a = await createJob(alice, { tags: ['reports', 'q3'] });
      const b = await createJob(bob, { tags: ['reports'] });
      await createJob(alice, { tags: ['other'] });
      const own = await world.feeds.read({ kind: 'tag', owner: alice, tag: 'reports' }, { limit: 10 });
      expect(ids(own.jobs)).toEqual([a.id]);
      const tenantWide = await world.feeds.read({ kind: 'tenant-tag', tenant, tag: 'reports' }, { limit: 10 });
      expect(ids(tenantWide.jobs).slice(0, 2)).toEqual([b.id, a.id]);
    });

    it('resets a cursor after FLUSHALL, and one ahead of the feed (a Redis that lost writes)', async () => {
      const owner = newOwner();
      const feed: FeedIdentity = { kind: 'owner', owner };
      await createJob(owner);
      const before = (await world.feeds.read(feed, { limit: 10 })).cursor;
      await world.flushAll();
      const after = await createJob(owner);
      const reset = await world.feeds.read(feed, { since: before, limit: 10 });
      expect(reset.reset).toBe(true);
      expect(ids(reset.jobs)).toEqual([after.id]);
      // The clock loses its last two changes, as a Redis restarted from an AOF behind them would.
      const { cursor } = await world.feeds.read(feed, { limit: 10 });
      await world.redis.hincrby(world.keys.feedClock(feed), 'clock', -2);
      expect((await world.feeds.read(feed, { since: cursor, limit: 10 })).reset).toBe(true);
    });

    it("resets a cursor older than the feed's retention, and serves one at its edge", async () => {
      const owner = newOwner();
      const feed: FeedIdentity = { kind: 'owner', owner };
      const jobs = [await createJob(owner)];
      const old = (await world.feeds.read(feed, { limit: 1 })).cursor;
      for (let i = 1; i < MAX_JOBS; i += 1) jobs.push(await createJob(owner));
      const edge = (await world.feeds.read(feed, { limit: 1 })).cursor;
      for (let i = 0; i < MAX_JOBS; i += 1) jobs.push(await createJob(owner));
      expect(await world.redis.zcard(world.keys.feedChanges(feed))).toBe(MAX_JOBS);
      const reset = await world.feeds.read(feed, { since: old, limit: 5 });
      expect(reset.reset).toBe(true);
      expect(ids(reset.jobs)).toEqual(ids(jobs.slice(-5).reverse()));
      const served = await world.feeds.read(feed, { since: edge, limit: MAX_JOBS });
      expect(served.reset).toBeUndefined();
      expect(ids(served.jobs)).toEqual(ids(jobs.slice(MAX_JOBS)));
    });

    it('leaves out, and forgets, a job that expired from the log', async () => {
      const owner = newOwner();
      const feed: FeedIdentity = { kind: 'owner', owner };
      const gone = await createJob(owner);
      const kept = await createJob(owner);
      await world.redis.del(world.keys.jobSnapshot(gone.id));
      expect(ids((await world.feeds.read(feed, { limit: 10 })).jobs)).toEqual([kept.id]);
      expect(await world.redis.zscore(world.keys.feedChanges(feed), gone.id)).toBeNull();
    });

    it('refuses a cursor it did not give', async () => {
      await expect(
        world.feeds.read({ kind: 'owner', owner: newOwner() }, { since: 'bm90LWEtY3Vyc29y', limit: 1 }),
      ).rejects.toBeInstanceOf(FeedCursorError);
    });

    it('counts a batch exactly under repeated and out-of-order touches, and publishes it with each change', async () => {
      const owner = newOwner();
      const batchId = randomUUID();
      const jobIds = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const created = await world.feeds.createBatch({ id: batchId, owner, jobIds });
      expect(created).toMatchObject({ total: 4, counts: { queued: 4 }, percent: 0, done: false });
      await expect(world.feeds.createBatch({ id: batchId, owner, jobIds })).rejects.toEqual(
        new BatchError('BATCH_EXISTS'),
      );
      const feed: FeedIdentity = { kind: 'batch', batchId };
      const updates: FeedUpdate[] = [];
      const channel = world.keys.feedChannel(feed);
      world.subscriber.on('smessage', (from: string, message: string) => {
        if (from === channel) updates.push(decodeFeedUpdate(feed, message));
      });
      await world.subscriber.ssubscribe(channel);

      const history = new Map<string, JobSnapshot[]>();
      for (const id of jobIds) {
        const job = await world.log.create({ id, type: 'demo.steps', owner, batchId });
        history.set(id, [job]);
      }
      const [a, b, c, d] = jobIds as [string, string, string, string];
      const bodies: Array<[string, JobEventBody]> = [
        [a, { type: 'started', data: { attempt: 1 } }],
        [a, { type: 'progress', data: { percent: 50 } }],
        [b, { type: 'started', data: { attempt: 1 } }],
        [b, { type: 'progress', data: { percent: 33.33 } }],
        [c, { type: 'started', data: { attempt: 1 } }],
        [c, { type: 'failed', data: { error: { message: 'e' }, attempts: 1 } }],
        [d, { type: 'cancelled', data: {} }],
        [a, { type: 'completed', data: { result: null } }],
      ];
      for (const [id, body] of bodies) {
        await world.log.append(id, body);
        history.get(id)?.push((await world.log.getRecord(id))!.snapshot);
      }
      // Every snapshot each job went through, newest first then again oldest first, and each twice: only the
      // newest of each job may count.
      for (const snapshots of history.values()) {
        for (const snapshot of [...[...snapshots].reverse(), ...snapshots, ...snapshots]) {
          await world.feeds.touch([feed], snapshot);
        }
      }
      const expected = {
        total: 4,
        counts: { queued: 0, active: 1, retrying: 0, completed: 1, failed: 1, cancelled: 1 },
        // (100 + 33.33 + 100 + 100) / 4
        percent: 83.33,
        done: false,
      };
      const batch = (await world.feeds.getBatch(batchId))!;
      expect(batch.owner).toBe(owner);
      expect(batch.snapshot).toMatchObject(expected);
      // One update per job: each job's newest snapshot came first, and counted.
      await eventually('an update per job', () => updates.length === 4);
      expect(updates.map((update) => update.job.status)).toEqual(['completed', 'active', 'failed', 'cancelled']);
      expect(updates.at(-1)?.batch).toEqual(batch.snapshot);
      const page = await world.feeds.read(feed, { limit: 10 });
      expect(page.batch).toEqual(batch.snapshot);
      expect(ids(page.jobs)).toEqual([d, c, b, a]);
      expect(await world.feeds.batchJobIds(batchId, 0, 10)).toEqual(jobIds);

      await world.log.append(b, { type: 'completed', data: { result: null } });
      await world.feeds.touchJob({ owner, snapshot: (await world.log.getRecord(b))!.snapshot });
      expect((await world.feeds.getBatch(batchId))?.snapshot).toMatchObject({ percent: 100, done: true });
      await world.subscriber.sunsubscribe(channel);
    });

    it('keeps every job of a batch in its feed, past FEED_MAX_JOBS', async () => {
      const owner = newOwner();
      const batchId = randomUUID();
      const jobIds = Array.from({ length: MAX_JOBS + 5 }, () => randomUUID());
      await world.feeds.createBatch({ id: batchId, owner, jobIds });
      const feed: FeedIdentity = { kind: 'batch', batchId };
      const { cursor } = await world.feeds.read(feed, { limit: 10 });
      for (const id of jobIds) {
        const job = await world.log.create({ id, type: 'demo.steps', owner, batchId });
        await world.feeds.touchJob({ owner, snapshot: job });
      }
      const since = await world.feeds.read(feed, { since: cursor, limit: 100 });
      expect(since.reset).toBeUndefined();
      expect(ids(since.jobs)).toEqual(jobIds);
      expect(since.batch?.counts.queued).toBe(MAX_JOBS + 5);
    });

    it('refuses a touch of a batch that does not exist, or of a job not in it', async () => {
      const owner = newOwner();
      const job = await world.log.create({ id: randomUUID(), type: 'demo.steps', owner });
      await expect(world.feeds.touch([{ kind: 'batch', batchId: randomUUID() }], job)).rejects.toEqual(
        new BatchError('BATCH_NOT_FOUND'),
      );
      const batchId = randomUUID();
      await world.feeds.createBatch({ id: batchId, owner, jobIds: [randomUUID()] });
      await expect(world.feeds.touch([{ kind: 'batch', batchId }], job)).rejects.toEqual(
        new BatchError('NOT_IN_BATCH'),
      );
      expect(await world.feeds.getBatch(randomUUID())).toBeNull();
    });

    it('lists jobs by tag, newest first, keeping the newest of each index', async () => {
      const owner = newOwner();
      const tenant = owner.split(':')[0] as string;
      const jobIds = Array.from({ length: 7 }, () => randomUUID());
      for (const [i, id] of jobIds.entries()) {
        await world.tagIndex.add({ id, owner, tags: ['x', 'y'], createdAt: Date.now() + i });
      }
      const newestFive = jobIds.slice(2).reverse();
      expect(await world.tagIndex.page({ owner, tag: 'x' }, 0, 10)).toEqual(newestFive);
      expect(await world.tagIndex.page({ owner, tag: 'y' }, 1, 2)).toEqual(newestFive.slice(1, 3));
      expect((await world.tagIndex.page({ tenant, tag: 'x' }, 0, 10)).slice(0, 5)).toEqual(newestFive);
      await world.tagIndex.remove({ owner, tag: 'x' }, [newestFive[0]!]);
      expect(await world.tagIndex.page({ owner, tag: 'x' }, 0, 1)).toEqual([newestFive[1]]);
    });

    if (topology === 'cluster') {
      it("keeps each feed's keys, and a batch's, in one slot, and spreads feeds over the masters", async () => {
        const cluster = world.redis as Cluster;
        const slot = (key: string) => cluster.cluster('KEYSLOT', key);
        const feeds: FeedIdentity[] = [
          { kind: 'owner', owner: 'acme:alice' },
          { kind: 'tag', owner: 'acme:alice', tag: 'a' },
          { kind: 'tenant-tag', tenant: 'acme', tag: 'a' },
          { kind: 'batch', batchId: 'b1' },
        ];
        const slots = [];
        for (const feed of feeds) {
          const keys = [world.keys.feedClock(feed), world.keys.feedChanges(feed), world.keys.feedChannel(feed)];
          if (feed.kind === 'batch') {
            keys.push(world.keys.batchRecord(feed.batchId), world.keys.batchJobStates(feed.batchId));
            keys.push(world.keys.batchJobIds(feed.batchId));
          }
          const feedSlots = await Promise.all(keys.map(slot));
          expect(new Set(feedSlots).size).toBe(1);
          slots.push(feedSlots[0]);
        }
        expect(new Set(slots).size).toBe(feeds.length);
        expect(await slot(world.keys.ownerTagJobs('acme:alice', 'a'))).toBe(
          await slot(world.keys.ownerJobs('acme:alice')),
        );
      });
    }
  });
}
