import type {
  BatchSnapshot,
  JobSnapshot,
  ListJobsResponse,
  SubmitBatchResponse,
  SubmitJobResponse,
  WatchToken,
} from '@jobcast/contracts';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET, signToken, useE2eStack } from '../support/e2e-stack';
import { eventually } from '../support/eventually';
import { request, waitForEnd } from '../support/http-api';

/** A service's token: a `scope` claim, bounded by its tenant. */
function serviceToken(sub: string, scope: string, tenant: string): Promise<string> {
  return new SignJWT({ scope, tenant })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** A job that ends in a moment. */
const quick = { type: 'demo.steps', payload: { steps: 1, intervalMs: 1 } };
/** A job that runs long enough to be cancelled while it runs. */
const slow = { type: 'demo.steps', payload: { steps: 200, intervalMs: 100 } };

type SubmitBatchAnswer = SubmitBatchResponse & { watchToken?: WatchToken };

/** Tags, batches and listings over HTTP, on real gateways and workers. */
describe('many jobs at once', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1, env: { WORKER_CONCURRENCY: '16' } });

  const post = <T>(path: string, token: string, body: unknown = {}, headers?: Record<string, string>, gateway = 0) =>
    request<T>(`${stack.url(gateway)}${path}`, { token, body, ...(headers && { headers }) });
  const get = <T>(path: string, token: string, gateway = 0) => request<T>(`${stack.url(gateway)}${path}`, { token });
  const batchOf = (count: number, job: object = quick) => ({ jobs: Array.from({ length: count }, () => job) });
  /** The batch once every job has ended and its counts say so. */
  const batchDone = (batchId: string, token: string) =>
    eventually(
      `batch ${batchId} to be done`,
      async () => {
        const { body } = await get<BatchSnapshot>(`/batches/${batchId}`, token);
        return body.done && body;
      },
      60_000,
      100,
    );

  describe('tags on POST /jobs', () => {
    it('carries the tags in the snapshot, on submit, read and listing', async () => {
      const alice = await signToken('tag-alice');
      const submitted = await post<SubmitJobResponse>('/jobs', alice, { ...quick, tags: ['upload', 'x.1:y-z_2'] });
      expect(submitted.status).toBe(202);
      expect(submitted.body.job.tags).toEqual(['upload', 'x.1:y-z_2']);
      const ended = await waitForEnd(stack.url(1), alice, submitted.body.job.id);
      expect(ended.tags).toEqual(['upload', 'x.1:y-z_2']);
      const listed = await get<ListJobsResponse>('/jobs?tag=upload', alice);
      expect(listed.body.jobs.map((job) => [job.id, job.tags])).toEqual([[ended.id, ['upload', 'x.1:y-z_2']]]);
    });

    it('refuses more than 10 tags, a repeated tag and a malformed one with VALIDATION_FAILED', async () => {
      const alice = await signToken('tag-bounds');
      const tooMany = Array.from({ length: 11 }, (_, i) => `t${i}`);
      for (const tags of [tooMany, ['a', 'a'], ['-leading'], ['has space'], ['x'.repeat(65)]]) {
        const answer = await post<{ error: { code: string } }>('/jobs', alice, { ...quick, tags });
        expect([tags, answer.status, answer.body.error.code]).toEqual([tags, 400, 'VALIDATION_FAILED']);
      }
      const tenTags = Array.from({ length: 10 }, (_, i) => `t${i}`);
      expect((await post('/jobs', alice, { ...quick, tags: tenTags })).status).toBe(202);
      expect((await get<ListJobsResponse>('/jobs', alice)).body.jobs).toHaveLength(1);
    });
  });

  describe('POST /batches', () => {
    it('refuses a batch with one bad job, naming its index, and creates nothing', async () => {
      const bob = await signToken('batch-bad');
      const { jobs } = batchOf(5);
      const badPayload = [...jobs.slice(0, 3), { type: 'demo.steps', payload: { steps: 'many' } }, ...jobs.slice(4)];
      const badTag = [...jobs.slice(0, 4), { ...quick, tags: ['no spaces'] }];
      const answer = await post<{ error: { code: string; details: { index: number } } }>('/batches', bob, {
        jobs: badPayload,
      });
      expect([answer.status, answer.body.error.code, answer.body.error.details.index]).toEqual([
        400,
        'VALIDATION_FAILED',
        3,
      ]);
      const tagAnswer = await post<{ error: { code: string; details: { index: number } } }>('/batches', bob, {
        jobs: badTag,
      });
      expect([tagAnswer.status, tagAnswer.body.error.code, tagAnswer.body.error.details.index]).toEqual([
        400,
        'VALIDATION_FAILED',
        4,
      ]);
      const unknownType = [...jobs.slice(0, 2), { type: 'no.such.type' }, ...jobs.slice(3)];
      const unknown = await post<{ error: { code: string; details: { index: number } } }>('/batches', bob, {
        jobs: unknownType,
      });
      expect([unknown.status, unknown.body.error.code, unknown.body.error.details.index]).toEqual([
        400,
        'UNKNOWN_JOB_TYPE',
        2,
      ]);
      // The batch's tags and a job's own count together toward a job's 10.
      const tags = Array.from({ length: 6 }, (_, i) => `b${i}`);
      const ownTags = Array.from({ length: 5 }, (_, i) => `j${i}`);
      const tooManyTags = await post<{ error: { code: string; details: { index: number } } }>('/batches', bob, {
        tags,
        jobs: [quick, { ...quick, tags: ownTags }],
      });
      expect([tooManyTags.status, tooManyTags.body.error.code, tooManyTags.body.error.details.index]).toEqual([
        400,
        'VALIDATION_FAILED',
        1,
      ]);
      for (const body of [{ jobs: [] }, batchOf(1001), { jobs: [quick], extra: 1 }]) {
        expect((await post('/batches', bob, body)).status).toBe(400);
      }
      expect((await get<ListJobsResponse>('/jobs', bob)).body.jobs).toEqual([]);
    });

    it('answers the same batch for the same Idempotency-Key, and another for another key', async () => {
      const carol = await signToken('batch-idem');
      const first = await post<SubmitBatchAnswer>('/batches', carol, batchOf(3), { 'idempotency-key': 'k-1' });
      expect(first.status).toBe(202);
      const again = await post<SubmitBatchAnswer>('/batches', carol, batchOf(3), { 'idempotency-key': 'k-1' }, 1);
      expect(again.status).toBe(200);
      expect(again.body.batch.id).toBe(first.body.batch.id);
      expect(again.body.jobs.map((job) => job.id)).toEqual(first.body.jobs.map((job) => job.id));
      const other = await post<SubmitBatchAnswer>('/batches', carol, batchOf(3), { 'idempotency-key': 'k-2' });
      expect(other.status).toBe(202);
      expect(other.body.batch.id).not.toBe(first.body.batch.id);
      // Another user's same key is theirs.
      const dave = await signToken('batch-idem-other');
      const theirs = await post<SubmitBatchAnswer>('/batches', dave, batchOf(1), { 'idempotency-key': 'k-1' });
      expect(theirs.status).toBe(202);
      expect((await get<ListJobsResponse>('/jobs?limit=100', carol)).body.jobs).toHaveLength(6);
    });

    it('runs 1,000 jobs and ends with exact counts, 100 percent and done', async () => {
      const erin = await signToken('batch-big');
      const submitted = await post<SubmitBatchAnswer>('/batches', erin, { ...batchOf(1000), tags: ['big'] });
      expect(submitted.status).toBe(202);
      const { batch, jobs } = submitted.body;
      expect(batch).toMatchObject({ total: 1000, done: false, counts: { queued: 1000 } });
      expect(jobs).toHaveLength(1000);
      expect(new Set(jobs.map((job) => job.id)).size).toBe(1000);
      expect(jobs.every((job) => job.batchId === batch.id && job.tags?.[0] === 'big')).toBe(true);
      expect(submitted.body.watchToken).toBeUndefined();
      const done = await batchDone(batch.id, erin);
      expect(done.counts).toEqual({ queued: 0, active: 0, retrying: 0, completed: 1000, failed: 0, cancelled: 0 });
      expect(done.percent).toBe(100);
      expect(done.updatedAt).toBeGreaterThanOrEqual(done.createdAt);
    }, 120_000);

    it('cancels what has not ended, and the counts end exact', async () => {
      const frank = await signToken('batch-cancel');
      const submitted = await post<SubmitBatchAnswer>('/batches', frank, { jobs: [quick, slow, slow, slow] });
      const { batch, jobs } = submitted.body;
      const [quickJob] = jobs as [JobSnapshot];
      await waitForEnd(stack.url(0), frank, quickJob.id);
      const cancelled = await post<BatchSnapshot>(`/batches/${batch.id}/cancel`, frank);
      expect(cancelled.status).toBe(202);
      expect(cancelled.body.id).toBe(batch.id);
      const done = await batchDone(batch.id, frank);
      expect(done.counts).toMatchObject({ completed: 1, cancelled: 3, queued: 0, active: 0 });
      expect(done.percent).toBe(100);
      // Cancelling again changes nothing.
      expect((await post<BatchSnapshot>(`/batches/${batch.id}/cancel`, frank)).body.counts).toEqual(done.counts);
    });

    it('answers another user’s batch, or another tenant’s, exactly as one that does not exist', async () => {
      const owner = await signToken('alice', { tenant: 'acme' });
      const { batch } = (await post<SubmitBatchAnswer>('/batches', owner, batchOf(2))).body;
      const missing = { error: { code: 'BATCH_NOT_FOUND' } };
      const strangers = [
        await signToken('bob', { tenant: 'acme' }),
        await signToken('alice', { tenant: 'globex' }),
        await serviceToken('reader', 'jobs:read', 'globex'),
        await serviceToken('submitter', 'jobs:submit jobs:read', 'globex'),
      ];
      for (const stranger of strangers) {
        for (const answer of [
          await get(`/batches/${batch.id}`, stranger),
          await post(`/batches/${batch.id}/cancel`, stranger),
          await post(`/batches/${batch.id}/watch-token`, stranger),
          await get(`/jobs?batch=${batch.id}`, stranger),
          await get('/batches/no-such-batch', stranger),
        ]) {
          expect(answer.status).toBe(404);
          expect(answer.body).toMatchObject(missing);
        }
      }
      // A reader of the tenant reads it, but may not cancel it.
      const acmeReader = await serviceToken('reader', 'jobs:read', 'acme');
      expect((await get<BatchSnapshot>(`/batches/${batch.id}`, acmeReader)).body.id).toBe(batch.id);
      expect((await post(`/batches/${batch.id}/cancel`, acmeReader)).status).toBe(403);
    });

    it('submits on behalf of a user, with a watch token that reads the batch and its jobs only', async () => {
      const service = await serviceToken('billing', 'jobs:submit', 'acme');
      const submitted = await post<SubmitBatchAnswer>('/batches', service, {
        ...batchOf(3),
        owner: { sub: 'watched-user' },
      });
      expect(submitted.status).toBe(202);
      const { batch, jobs, watchToken } = submitted.body;
      if (!watchToken) throw new Error('a service’s batch answers a watch token');
      // The batch is the user's.
      const user = await signToken('watched-user', { tenant: 'acme' });
      expect((await get<BatchSnapshot>(`/batches/${batch.id}`, user, 1)).status).toBe(200);
      // Its watch token reads the batch and each of its jobs, and lists them.
      expect((await get<BatchSnapshot>(`/batches/${batch.id}`, watchToken.token)).body.id).toBe(batch.id);
      for (const job of jobs) {
        expect((await get<JobSnapshot>(`/jobs/${job.id}`, watchToken.token, 1)).body.batchId).toBe(batch.id);
      }
      const listed = await get<ListJobsResponse>(`/jobs?batch=${batch.id}`, watchToken.token);
      expect(listed.body.jobs.map((job) => job.id).sort()).toEqual(jobs.map((job) => job.id).sort());
      // And nothing else: another job of the same user, another batch, writes.
      const other = await post<SubmitJobResponse>('/jobs', user, quick);
      const { batch: otherBatch } = (await post<SubmitBatchAnswer>('/batches', user, batchOf(1))).body;
      expect((await get(`/jobs/${other.body.job.id}`, watchToken.token)).status).toBe(404);
      expect((await get(`/batches/${otherBatch.id}`, watchToken.token)).status).toBe(404);
      expect((await get(`/jobs?batch=${otherBatch.id}`, watchToken.token)).status).toBe(404);
      expect((await get('/jobs', watchToken.token)).status).toBe(403);
      expect((await post(`/batches/${batch.id}/cancel`, watchToken.token)).status).toBe(403);
      expect((await post(`/batches/${batch.id}/watch-token`, watchToken.token)).status).toBe(403);
      expect((await post('/batches', watchToken.token, batchOf(1))).status).toBe(403);
      // The owner mints one too.
      const minted = await post<WatchToken>(`/batches/${batch.id}/watch-token`, user);
      expect(minted.status).toBe(201);
      expect((await get<BatchSnapshot>(`/batches/${batch.id}`, minted.body.token)).status).toBe(200);
      // Outside its tenant the service may not submit.
      const elsewhere = await post('/batches', service, { ...batchOf(1), owner: { sub: 'x', tenant: 'globex' } });
      expect(elsewhere.status).toBe(403);
    });
  });

  describe('GET /jobs', () => {
    it('combines status, type, tag and batch filters, newest first, paged with a cursor', async () => {
      const gina = await signToken('lister');
      const a = (await post<SubmitBatchAnswer>('/batches', gina, { ...batchOf(5), tags: ['red'] })).body;
      await batchDone(a.batch.id, gina);
      const b = (await post<SubmitBatchAnswer>('/batches', gina, { jobs: [quick, { ...quick, tags: ['red'] }, slow] }))
        .body;
      const [, bRed, bSlow] = b.jobs as [JobSnapshot, JobSnapshot, JobSnapshot];
      await waitForEnd(stack.url(0), gina, bRed.id);
      await eventually('the slow job to start', async () => {
        const { body } = await get<JobSnapshot>(`/jobs/${bSlow.id}`, gina);
        return body.status === 'active';
      });

      const ids = async (query: string) =>
        (await get<ListJobsResponse>(`/jobs?${query}`, gina)).body.jobs.map((j) => j.id);
      const newestFirst = (jobs: JobSnapshot[]) => [...jobs].reverse().map((job) => job.id);
      // A batch's jobs are created at once, so by owner they are newest first batch by batch.
      const byOwner = await ids('limit=100');
      expect([byOwner.slice(0, 3).sort(), byOwner.slice(3).sort()]).toEqual([
        b.jobs.map((job) => job.id).sort(),
        a.jobs.map((job) => job.id).sort(),
      ]);
      const redJobs = [bRed.id, ...a.jobs.map((job) => job.id).sort()];
      const newestRedFirst = (listed: string[]) => [listed[0], ...listed.slice(1).sort()];
      expect(newestRedFirst(await ids('tag=red&limit=100'))).toEqual(redJobs);
      expect(await ids(`tag=red&batch=${b.batch.id}`)).toEqual([bRed.id]);
      expect(await ids('status=active')).toEqual([bSlow.id]);
      expect(await ids(`status=completed&batch=${a.batch.id}`)).toEqual(newestFirst(a.jobs));
      expect(newestRedFirst(await ids('status=completed&type=demo.steps&tag=red&limit=100'))).toEqual(redJobs);
      expect(await ids('type=demo.hash')).toEqual([]);

      // Pages of 2 through the tag's jobs: every one once, in order.
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await get<ListJobsResponse>(`/jobs?tag=red&limit=2${cursor ? `&cursor=${cursor}` : ''}`, gina);
        expect(page.body.jobs.length).toBeLessThanOrEqual(2);
        paged.push(...page.body.jobs.map((job) => job.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(paged).toEqual(await ids('tag=red&limit=100'));
      expect(newestRedFirst(paged)).toEqual(redJobs);

      // A service lists a user of its tenant, or a tag of its tenant, never all of it at once.
      const reader = await serviceToken('reader', 'jobs:read', 'tagged');
      const owner = await signToken('listed', { tenant: 'tagged' });
      const job = (await post<SubmitJobResponse>('/jobs', owner, { ...quick, tags: ['blue'] })).body.job;
      expect((await get<ListJobsResponse>('/jobs?owner=listed', reader)).body.jobs.map((j) => j.id)).toEqual([job.id]);
      expect((await get<ListJobsResponse>('/jobs?tag=blue', reader)).body.jobs.map((j) => j.id)).toEqual([job.id]);
      expect((await get('/jobs', reader)).status).toBe(403);
      const otherReader = await serviceToken('reader', 'jobs:read', 'elsewhere');
      expect((await get<ListJobsResponse>('/jobs?tag=blue', otherReader)).body.jobs).toEqual([]);
      expect((await get<ListJobsResponse>('/jobs?owner=listed', otherReader)).body.jobs).toEqual([]);
      // A user names only itself.
      expect((await get('/jobs?owner=someone-else', gina)).status).toBe(403);
      for (const query of ['status=nope', 'limit=0', 'limit=101', 'cursor=x', 'tag=has%20space']) {
        expect((await get(`/jobs?${query}`, gina)).status).toBe(400);
      }
      await post(`/batches/${b.batch.id}/cancel`, gina);
    });
  });
});

/** A stack whose active-job limit a test reaches. */
describe('a batch and MAX_ACTIVE_JOBS_PER_USER', () => {
  const stack = useE2eStack({ gateways: 1, workers: 1, env: { MAX_ACTIVE_JOBS_PER_USER: '5' } });

  it('counts a batch’s jobs toward the limit, all or none', async () => {
    const user = await signToken('limited');
    const submit = (count: number) =>
      request<SubmitBatchAnswer & { error: { code: string } }>(`${stack.url()}/batches`, {
        token: user,
        body: { jobs: Array.from({ length: count }, () => slow) },
      });
    const first = await submit(4);
    expect(first.status).toBe(202);
    const over = await submit(2);
    expect([over.status, over.body.error.code, over.headers.get('retry-after')]).toEqual([
      429,
      'TOO_MANY_ACTIVE_JOBS',
      '5',
    ]);
    // Nothing of the refused batch holds a place: one more fits.
    expect((await submit(1)).status).toBe(202);
    expect((await submit(1)).status).toBe(429);
    await request(`${stack.url()}/batches/${first.body.batch.id}/cancel`, { token: user, body: {} });
    // Cancelled jobs free their places, once their worker has stopped them.
    await eventually('the cancelled jobs’ places to be free', async () => (await submit(4)).status === 202);
  });
});
