import { connect, type JobcastClient } from '@jobcast/client';
import {
  TERMINAL_STATUSES,
  type BatchSnapshot,
  type FeedJobs,
  type FeedSubscribeAck,
  type JobSnapshot,
} from '@jobcast/contracts';
import { encodeFeedCursor } from '@jobcast/job-feeds';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { openPlain, type PlainClient, type PlainMessage } from '../support/plain-websocket';
import { connected, emitWithAck, openSocket } from '../support/raw-socket';
import { stopReading } from '../support/stalled-reader';

/**
 * Feeds (docs/protocol.md, "Feeds") on real gateways and workers: a job submitted through one gateway appears
 * in a feed held on another, on every transport; resuming by cursor misses nothing; a cursor the feed cannot
 * serve resets; users and tenants see only their own; bad shapes are refused.
 */

/** Each job's snapshot with the highest lastSeq, as a client keeps a feed. */
function latestByJob(jobs: Iterable<JobSnapshot>): Map<string, JobSnapshot> {
  const byJob = new Map<string, JobSnapshot>();
  for (const job of jobs) {
    const kept = byJob.get(job.id);
    if (!kept || kept.lastSeq < job.lastSeq) byJob.set(job.id, job);
  }
  return byJob;
}

/** The jobs a plain WebSocket client got for its feeds: `subscribed` answers and `jobs` updates. */
function plainFeedJobs(client: PlainClient, from = 0): JobSnapshot[] {
  return client.messages
    .slice(from)
    .flatMap((message) =>
      (message.type === 'subscribed' || message.type === 'jobs') && 'feed' in message
        ? (message.jobs as JobSnapshot[])
        : [],
    );
}

const steps = (count: number, intervalMs = 20) => ({ type: 'demo.steps', payload: { steps: count, intervalMs } });

describe('feeds', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1 });
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([signToken('alice'), signToken('bob')]);
  });

  it('shows a job submitted through gateway B live in an owner feed held on gateway A (plain WebSocket)', async () => {
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    client.send({ type: 'subscribe', id: 's1', feed: { owner: 'me' } });
    const subscribed = await client.answer('s1');
    expect(subscribed).toMatchObject({
      type: 'subscribed',
      feed: { owner: 'me' },
      cursor: expect.any(String) as string,
    });
    const job = await submitJob(stack.url(1), alice, steps(3));
    const ended = await waitForEnd(stack.url(1), alice, job.id);
    await eventually('the feed to show the job ended', () => {
      const seen = latestByJob(plainFeedJobs(client)).get(job.id);
      return seen?.lastSeq === ended.lastSeq && seen;
    });
    const updates = client.messages.filter((message) => message.type === 'jobs');
    expect(updates[0]).toMatchObject({ feed: { owner: 'me' }, cursor: expect.any(String) as string });
    // Each update carries a snapshot of the job as it was: queued first, completed last, never going back.
    const seqs = plainFeedJobs(client)
      .filter((snapshot) => snapshot.id === job.id)
      .map((snapshot) => snapshot.lastSeq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(latestByJob(plainFeedJobs(client)).get(job.id)).toEqual(ended);
  });

  it('shows it on Socket.IO (subscribe {feed} and feed:jobs) and on SSE (GET /feed)', async () => {
    const socket = stack.closeAtStop(openSocket(stack.url(0), alice));
    await connected(socket);
    const updates: FeedJobs[] = [];
    socket.on('feed:jobs', (update) => updates.push(update));
    const ack = await emitWithAck<FeedSubscribeAck>(socket, 'subscribe', { feed: { owner: 'me' } });
    expect(ack).toMatchObject({ ok: true, cursor: expect.any(String) as string });
    const sse = new AbortController();
    const stream = await fetch(`${stack.url(0)}/feed?owner=me`, {
      headers: { authorization: `Bearer ${alice}` },
      signal: sse.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
    })().catch(() => undefined);

    const job = await submitJob(stack.url(1), alice, steps(2));
    const ended = await waitForEnd(stack.url(1), alice, job.id);
    await eventually('Socket.IO to show the job ended', () =>
      updates.some((update) => update.jobs.some((seen) => seen.id === job.id && seen.lastSeq === ended.lastSeq)),
    );
    expect(updates.every((update) => 'owner' in update.feed && typeof update.cursor === 'string')).toBe(true);
    const frames = await eventually('SSE to show the job ended', () => {
      const parsed = sseFrames(text);
      const last = parsed.filter((frame) => frame.event === 'jobs').flatMap((frame) => frame.data.jobs);
      return latestByJob(last).get(job.id)?.lastSeq === ended.lastSeq && parsed;
    });
    // Every frame's id is its cursor; the data carries the feed and its jobs.
    expect(frames.every((frame) => frame.event === 'jobs' && frame.id && frame.data.feed.owner === 'me')).toBe(true);
    sse.abort();
    await reading;
  });

  it('resumes on the other gateway by cursor: every job changed after it, at its current state', async () => {
    const first = stack.closeAtStop(await openPlain(stack.url(0), alice));
    first.send({ type: 'subscribe', id: 'a', feed: { owner: 'me' } });
    const answer = await first.answer('a');
    const before = answer.cursor as string;
    first.close();
    // Changed while nobody watched.
    const jobs = await Promise.all([1, 2, 3].map(() => submitJob(stack.url(0), alice, steps(2, 10))));
    const ended = await Promise.all(jobs.map((job) => waitForEnd(stack.url(0), alice, job.id)));
    const second = stack.closeAtStop(await openPlain(stack.url(1), alice));
    second.send({ type: 'subscribe', id: 'b', feed: { owner: 'me' }, since: before });
    const resumed = await second.answer('b');
    expect(resumed.reset).toBeUndefined();
    const got = latestByJob(resumed.jobs as JobSnapshot[]);
    for (const job of ended) expect(got.get(job.id)).toEqual(job);
    // Nothing that did not change since.
    expect([...got.keys()].sort()).toEqual(ended.map((job) => job.id).sort());
  });

  it('answers a cursor the feed cannot serve with reset and the first page', async () => {
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    const lost = encodeFeedCursor({ epoch: 'ffffffffffffffff', clock: 5 });
    client.send({ type: 'subscribe', id: 'r', feed: { owner: 'me' }, since: lost });
    const answer = await client.answer('r');
    expect(answer).toMatchObject({ type: 'subscribed', reset: true, cursor: expect.any(String) as string });
    expect((answer.jobs as JobSnapshot[]).length).toBeGreaterThan(0);
    expect((answer.jobs as JobSnapshot[]).every((job) => job.id)).toBe(true);
    // SSE: `event: reset` first, then the page.
    const sse = await request(`${stack.url(1)}/feed?owner=me&since=${lost}`, { token: alice, method: 'HEAD' });
    expect(sse.status).toBe(200);
  });

  it('keeps users and tenants apart: owner feeds, tags, batches', async () => {
    const bobs = stack.closeAtStop(await openPlain(stack.url(0), bob));
    bobs.send({ type: 'subscribe', id: 'own', feed: { owner: 'me' } });
    bobs.send({ type: 'subscribe', id: 'tag', feed: { tag: 'shared' } });
    await bobs.answer('own');
    await bobs.answer('tag');
    const acmeAlice = await signToken('alice', { tenant: 'acme' });
    const job = await submitJob(stack.url(1), alice, { ...steps(1, 0), tags: ['shared'] });
    const other = await submitJob(stack.url(1), acmeAlice, { ...steps(1, 0), tags: ['shared'] });
    await Promise.all([waitForEnd(stack.url(1), alice, job.id), waitForEnd(stack.url(1), acmeAlice, other.id)]);
    bobs.send({ type: 'ping', id: 'p' });
    await bobs.answer('p');
    const seen = plainFeedJobs(bobs).map((snapshot) => snapshot.id);
    expect(seen).not.toContain(job.id);
    expect(seen).not.toContain(other.id);

    // Naming another user is a service's right only; another's (or no) batch is not found.
    bobs.send({ type: 'subscribe', id: 'x', feed: { owner: 'alice' } });
    expect(await bobs.answer('x')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } });
    bobs.send({ type: 'subscribe', id: 'y', feed: { batch: 'no-such-batch' } });
    expect(await bobs.answer('y')).toMatchObject({
      type: 'error',
      feed: { batch: 'no-such-batch' },
      error: { code: 'BATCH_NOT_FOUND' },
    });
    const sse = await request(`${stack.url(0)}/feed?batch=no-such-batch`, { token: bob });
    expect(sse.status).toBe(404);

    // A service that may read names a user of its tenant, and sees that user's jobs only.
    const service = await serviceToken(stack.url(0), 'acme');
    const services = stack.closeAtStop(await openPlain(stack.url(0), service));
    services.send({ type: 'subscribe', id: 'alice', feed: { owner: 'alice' } });
    const aliceOfAcme = await services.answer('alice');
    const ids = (aliceOfAcme.jobs as JobSnapshot[]).map((snapshot) => snapshot.id);
    expect(ids).toContain(other.id);
    expect(ids).not.toContain(job.id);
  });

  it('refuses bad shapes with VALIDATION_FAILED on every transport', async () => {
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    const bad: unknown[] = [
      { feed: { owner: 'me', tag: 'x' } },
      { feed: {} },
      { feed: { tag: 'no spaces' } },
      { feed: { owner: 'me' }, jobId: 'j' },
      { feed: { owner: 'me' }, since: 'not a cursor!' },
      { feed: { owner: 'me' }, since: 'AAAA' },
      { feed: { colour: 'red' } },
    ];
    for (const [index, shape] of bad.entries()) {
      client.send({ type: 'subscribe', id: `bad${index}`, ...(shape as object) });
      expect(await client.answer(`bad${index}`), JSON.stringify(shape)).toMatchObject({
        type: 'error',
        error: { code: 'VALIDATION_FAILED' },
      });
    }
    const socket = stack.closeAtStop(openSocket(stack.url(0), alice));
    await connected(socket);
    for (const shape of bad) {
      const ack = await emitWithAck<FeedSubscribeAck>(socket, 'subscribe', shape);
      expect(ack, JSON.stringify(shape)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    for (const query of ['owner=me&tag=x', '', 'tag=no%20spaces', 'owner=me&since=AAAA', 'colour=red']) {
      const answer = await request(`${stack.url(0)}/feed?${query}`, { token: alice });
      expect(answer.status, query).toBe(400);
      expect(answer.body, query).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
  });

  it('counts feeds toward SOCKET_MAX_SUBSCRIPTIONS and unsubscribes by feed', async () => {
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    client.send({ type: 'subscribe', id: 'f', feed: { tag: 'a' } });
    expect(await client.answer('f')).toMatchObject({ type: 'subscribed' });
    client.send({ type: 'unsubscribe', id: 'u', feed: { tag: 'a' } });
    expect(await client.answer('u')).toEqual({ type: 'unsubscribed', id: 'u', feed: { tag: 'a' } });
    const job = await submitJob(stack.url(0), alice, { ...steps(1, 0), tags: ['a'] });
    await waitForEnd(stack.url(0), alice, job.id);
    client.send({ type: 'ping', id: 'p' });
    await client.answer('p');
    expect(client.messages.filter((message: PlainMessage) => message.type === 'jobs')).toEqual([]);
  });

  it('ends a batch feed with every job at its terminal state and the batch counted exactly', async () => {
    const { batch, jobs } = await submitBatch(stack.url(1), alice, 20, { failing: 3 });
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    client.send({ type: 'subscribe', id: 'b', feed: { batch: batch.id } });
    const answer = await client.answer('b');
    expect(answer).toMatchObject({ type: 'subscribed', batch: { id: batch.id, total: 20 } });
    const batchOf = (message: PlainMessage): BatchSnapshot | undefined => message.batch as BatchSnapshot | undefined;
    const last = await eventually(
      'the batch to be done in the feed',
      () => {
        const done = client.messages.filter((message) => batchOf(message)?.done);
        return done.length > 0 && batchOf(done.at(-1) as PlainMessage);
      },
      60_000,
    );
    expect(last.counts).toEqual({ queued: 0, active: 0, retrying: 0, completed: 17, failed: 3, cancelled: 0 });
    // Failed jobs count 100 toward the mean, as finished ones.
    expect(last.percent).toBe(100);
    const http = await request<BatchSnapshot>(`${stack.url(1)}/batches/${batch.id}`, { token: alice });
    expect(last).toEqual(http.body);
    const now = await currentJobs(
      stack.url(1),
      alice,
      jobs.map((job) => job.id),
    );
    await eventually('every job of the batch at its end in the feed', () => {
      const got = latestByJob(plainFeedJobs(client));
      return jobs.every((job) => got.get(job.id)?.lastSeq === now.get(job.id)?.lastSeq);
    });
    const got = latestByJob(plainFeedJobs(client));
    for (const job of jobs) expect(got.get(job.id)).toEqual(now.get(job.id));
  });

  it.each(['websocket', 'socket.io'] as const)(
    'the typed client (%s) holds a batch feed across a gateway killed with SIGKILL, and ends at every job’s final state',
    async (transport) => {
      const { batch, jobs } = await submitBatch(stack.url(1), alice, 30, { steps: 20, intervalMs: 50 });
      const client: JobcastClient = stack.closeAtStop(
        connect({ urls: [stack.url(0), stack.url(1)], token: alice, transport, reconnectDelayMs: 100 }),
      );
      const feed = client.feed({ batch: batch.id });
      await eventually('the feed to show progress', () => [...feed.jobs.values()].some((job) => job.percent > 0));
      expect(client.connectedUrl).toBe(stack.url(0));
      stack.stack.gateways[0]?.kill('SIGKILL');
      await eventually('the client to resume on the other gateway', () => client.connectedUrl === stack.url(1));
      await eventually('the batch to be done', () => feed.batch?.done === true, 60_000);
      const now = await currentJobs(
        stack.url(1),
        alice,
        jobs.map((job) => job.id),
      );
      await eventually('every job at its final state', () =>
        jobs.every((job) => feed.jobs.get(job.id)?.lastSeq === now.get(job.id)?.lastSeq),
      );
      for (const job of jobs) expect(feed.jobs.get(job.id)).toEqual(now.get(job.id));
      expect(feed.batch?.counts.completed).toBe(30);
      await stack.stack.gateways[0]?.start();
    },
  );

  it('the typed client holds a batch feed across a Redis restart', async () => {
    const { batch, jobs } = await submitBatch(stack.url(0), alice, 20, { steps: 20, intervalMs: 50 });
    const client = stack.closeAtStop(connect({ urls: [stack.url(1)], token: alice, reconnectDelayMs: 100 }));
    const feed = client.feed({ batch: batch.id });
    const changes: JobSnapshot[] = [];
    feed.onChange((changed) => changes.push(...changed));
    await eventually('the feed to show progress', () => [...feed.jobs.values()].some((job) => job.percent > 0));
    await stack.stack.redis?.stop();
    await stack.stack.redis?.start();
    await eventually('the batch to be done', () => feed.batch?.done === true, 60_000);
    const now = await currentJobs(
      stack.url(0),
      alice,
      jobs.map((job) => job.id),
    );
    await eventually('every job at its final state', () =>
      jobs.every((job) => feed.jobs.get(job.id)?.lastSeq === now.get(job.id)?.lastSeq),
    );
    for (const job of jobs) expect(feed.jobs.get(job.id)).toEqual(now.get(job.id));
    expect(changes.length).toBeGreaterThan(0);
  });

  it('holds a reader that stops reading to each job’s newest snapshot, and ends it at every job’s final state', async () => {
    const socket = stack.closeAtStop(openSocket(stack.url(0), alice));
    await connected(socket);
    const updates: FeedJobs[] = [];
    socket.on('feed:jobs', (update) => updates.push(update));
    const ack = await emitWithAck<FeedSubscribeAck>(socket, 'subscribe', { feed: { tag: 'slow' } });
    expect(ack.ok).toBe(true);
    const resume = stopReading(socket);
    const jobs = await Promise.all(
      Array.from({ length: 40 }, () => submitJob(stack.url(1), alice, { ...steps(30, 10), tags: ['slow'] })),
    );
    const ended = await Promise.all(jobs.map((job) => waitForEnd(stack.url(1), alice, job.id)));
    resume();
    await eventually('every job at its end for the reader that stopped', () => {
      const got = latestByJob(updates.flatMap((update) => update.jobs));
      return ended.every((job) => got.get(job.id)?.lastSeq === job.lastSeq);
    });
    const got = latestByJob(updates.flatMap((update) => update.jobs));
    for (const job of ended) expect(got.get(job.id)).toEqual(job);
    // Still connected: a feed's backlog is bounded by its jobs, never by their changes.
    expect(socket.connected).toBe(true);
  });

  it('ends each job of the feed at its terminal state', async () => {
    const client = stack.closeAtStop(await openPlain(stack.url(1), alice));
    client.send({ type: 'subscribe', id: 't', feed: { tag: 'many' } });
    await client.answer('t');
    const jobs = await Promise.all(
      Array.from({ length: 10 }, () => submitJob(stack.url(0), alice, { ...steps(5, 5), tags: ['many'] })),
    );
    const ended = await Promise.all(jobs.map((job) => waitForEnd(stack.url(0), alice, job.id)));
    await eventually('every job at its end in the feed', () => {
      const got = latestByJob(plainFeedJobs(client));
      return ended.every((job) => got.get(job.id)?.lastSeq === job.lastSeq);
    });
    const got = latestByJob(plainFeedJobs(client));
    for (const job of ended) {
      expect(got.get(job.id)).toEqual(job);
      expect(TERMINAL_STATUSES).toContain(got.get(job.id)?.status);
    }
  });
});

describe('feeds on a Redis Cluster', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1, clusterMasters: 3 });

  it('shows jobs submitted through gateway B in owner, tag and batch feeds held on gateway A, and resumes by cursor', async () => {
    const alice = await signToken('alice');
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    client.send({ type: 'subscribe', id: 'o', feed: { owner: 'me' } });
    client.send({ type: 'subscribe', id: 't', feed: { tag: 'on-cluster' } });
    const owner = await client.answer('o');
    await client.answer('t');
    const tagged = await submitJob(stack.url(1), alice, { ...steps(3, 10), tags: ['on-cluster'] });
    const { batch, jobs } = await submitBatch(stack.url(1), alice, 10);
    client.send({ type: 'subscribe', id: 'b', feed: { batch: batch.id } });
    await client.answer('b');
    const ended = await Promise.all([tagged, ...jobs].map((job) => waitForEnd(stack.url(1), alice, job.id)));
    await eventually('every job at its end in the feeds', () => {
      const got = latestByJob(plainFeedJobs(client));
      return ended.every((job) => got.get(job.id)?.lastSeq === job.lastSeq);
    });
    const byFeed = (name: string): string[] =>
      client.messages
        .filter((message) => message.type === 'jobs' && name in (message.feed as object))
        .flatMap((message) => (message.jobs as JobSnapshot[]).map((job) => job.id));
    expect(new Set(byFeed('tag'))).toEqual(new Set([tagged.id]));
    expect(new Set(byFeed('batch'))).toEqual(new Set(jobs.map((job) => job.id)));
    const other = stack.closeAtStop(await openPlain(stack.url(1), alice));
    other.send({ type: 'subscribe', id: 'r', feed: { owner: 'me' }, since: owner.cursor });
    const resumed = await other.answer('r');
    const got = latestByJob(resumed.jobs as JobSnapshot[]);
    for (const job of ended) expect(got.get(job.id)).toEqual(job);
  });
});

/** Submits a batch of `count` jobs of `steps` steps each through `baseUrl`; `failing` of them fail at step 2. */
async function submitBatch(
  baseUrl: string,
  token: string,
  count: number,
  options: { steps?: number; intervalMs?: number; failing?: number } = {},
): Promise<{ batch: BatchSnapshot; jobs: JobSnapshot[] }> {
  const jobs = Array.from({ length: count }, (_, index) => ({
    type: 'demo.steps',
    payload: {
      steps: options.steps ?? 3,
      intervalMs: options.intervalMs ?? 20,
      ...(index < (options.failing ?? 0) && { failAt: 2 }),
    },
    attempts: 1,
  }));
  const answer = await request<{ batch: BatchSnapshot; jobs: JobSnapshot[] }>(`${baseUrl}/batches`, {
    token,
    body: { jobs },
  });
  if (answer.status !== 202) throw new Error(`batch answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Each job's snapshot as GET /jobs/:id answers it. */
async function currentJobs(baseUrl: string, token: string, ids: readonly string[]): Promise<Map<string, JobSnapshot>> {
  const jobs = await Promise.all(ids.map((id) => request<JobSnapshot>(`${baseUrl}/jobs/${id}`, { token })));
  return new Map(jobs.map(({ body }) => [body.id, body]));
}

/** A `jobs:read` service token of the tenant, from the gateway's dev tokens. */
async function serviceToken(baseUrl: string, tenant: string): Promise<string> {
  const answer = await request<{ token: string }>(`${baseUrl}/auth/dev-token`, {
    body: { sub: 'reader', tenant, scope: 'jobs:read' },
  });
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`dev-token answered ${answer.status}`);
  return answer.body.token;
}

interface SseFrame {
  id?: string;
  event?: string;
  data: { feed: { owner?: string }; jobs: JobSnapshot[] };
}

function sseFrames(text: string): SseFrame[] {
  return text
    .split('\n\n')
    .map((frame) => frame.split('\n').filter((line) => line && !line.startsWith(':')))
    .filter((lines) => lines.some((line) => line.startsWith('data: ')))
    .map((lines) => {
      const field = (name: string): string | undefined =>
        lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data') ?? 'null') as SseFrame['data'] };
    });
}
