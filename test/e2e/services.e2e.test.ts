import type { JobEvent, JobSnapshot, SubmitJobResponse, WatchToken } from '@jobcast/contracts';
import { Redis } from 'ioredis';
import { freePort } from '@jobcast/local-stack';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium';
import { E2eStack, TEST_JWT_SECRET, signToken } from '../support/e2e-stack';
import { eventually, sleep } from '../support/eventually';
import { parseSse, request } from '../support/http-api';
import { openPlain } from '../support/plain-websocket';
import { connected, emitWithAck, openSocket } from '../support/raw-socket';
import { attemptTypes, eventTypes, expectCompleteSequence, watchWithClient } from '../support/watchers';

/** A service's token: a `scope` claim, and a tenant it is bounded by when it has one. */
function serviceToken(sub: string, scope: string, tenant?: string): Promise<string> {
  return new SignJWT({ scope, ...(tenant && { tenant }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
const steps = { type: 'demo.steps', payload: { steps: 3, intervalMs: 20 } };

const WATCH_TOKEN_TTL_MS = 4000;
/** Low enough that a burst past it is answered well within one second. */
const APPENDS_PER_SECOND = 20;

/** Backends in any language: service tokens, on-behalf submits, watch tokens, external jobs over HTTP. */
describe('services', () => {
  let backendPort = 0;
  let stack: E2eStack;
  let alice: string;
  let submitter: string;

  beforeAll(async () => {
    backendPort = await freePort();
    stack = new E2eStack({
      gateways: 2,
      // The backend example's page watches from its own origin.
      env: {
        WATCH_TOKEN_TTL: `${WATCH_TOKEN_TTL_MS}ms`,
        APPEND_RATE_PER_SECOND: String(APPENDS_PER_SECOND),
        CORS_ORIGINS: `http://127.0.0.1:${backendPort}`,
      },
    });
    await stack.start();
    alice = await signToken('alice', { tenant: 'acme' });
    submitter = await serviceToken('billing', 'jobs:submit', 'acme');
  });
  afterAll(() => stack?.stop());

  const post = <T>(path: string, token: string, body?: unknown, gateway = 0, headers?: Record<string, string>) =>
    request<T>(`${stack.url(gateway)}${path}`, { token, body: body ?? {}, headers });
  const get = <T>(path: string, token: string, gateway = 0) => request<T>(`${stack.url(gateway)}${path}`, { token });

  it('a jobs:submit service submits for a user, who lists, watches and cancels it as their own', async () => {
    const submitted = await post<SubmitJobResponse>('/jobs', submitter, {
      ...steps,
      payload: { steps: 50, intervalMs: 100 },
      owner: { sub: 'alice' },
    });
    expect(submitted.status).toBe(202);
    const { job, watchToken } = submitted.body;
    expect(watchToken).toMatchObject({ token: expect.any(String) as string, expiresAt: expect.any(Number) as number });
    const listed = await get<{ jobs: JobSnapshot[] }>('/jobs', alice, 1);
    expect(listed.body.jobs.map((listedJob) => listedJob.id)).toContain(job.id);
    const watcher = watchWithClient([stack.url(1)], alice, job.id);
    await eventually('the job to start', () => watcher.events.some((event) => event.type === 'progress'));
    expect((await post(`/jobs/${job.id}/cancel`, alice)).status).toBe(202);
    expect((await watcher.done).type).toBe('cancelled');
    watcher.client.close();
  });

  it('refuses what a token may not do with 403 FORBIDDEN, and another user’s job with JOB_NOT_FOUND', async () => {
    const forbidden = { status: 403, body: { error: { code: 'FORBIDDEN' } } };
    const reader = await serviceToken('reports', 'jobs:read', 'acme');
    expect(await post('/jobs', reader, steps)).toMatchObject(forbidden);
    expect(await post('/jobs', alice, { ...steps, owner: { sub: 'bob' } })).toMatchObject(forbidden);
    expect(await post('/jobs', alice, { ...steps, external: true })).toMatchObject(forbidden);
    // Tenant bounds: a service of acme cannot submit for globex, nor read globex's jobs.
    expect(await post('/jobs', submitter, { ...steps, owner: { sub: 'carol', tenant: 'globex' } })).toMatchObject(
      forbidden,
    );
    const carol = await signToken('carol', { tenant: 'globex' });
    const { body } = await post<SubmitJobResponse>('/jobs', carol, steps);
    expect(await get(`/jobs/${body.job.id}`, reader)).toMatchObject({ status: 404 });
    expect(await get(`/jobs/${body.job.id}`, alice)).toMatchObject({ status: 404 });
    expect(await get(`/jobs/${body.job.id}`, await serviceToken('ops', 'jobs:read'))).toMatchObject({ status: 200 });
    // A reader reads its tenant's jobs but cancels none of them.
    const own = await post<SubmitJobResponse>('/jobs', alice, { ...steps, payload: { steps: 30, intervalMs: 100 } });
    expect(await get(`/jobs/${own.body.job.id}`, reader)).toMatchObject({ status: 200 });
    expect(await post(`/jobs/${own.body.job.id}/cancel`, reader)).toMatchObject(forbidden);
    expect(await get('/jobs', reader)).toMatchObject(forbidden);
    // A service with no scope it knows can do nothing.
    const nothing = await serviceToken('idle', 'profile email');
    expect(await post('/jobs', nothing, steps)).toMatchObject(forbidden);
    expect(await get(`/jobs/${own.body.job.id}`, nothing)).toMatchObject({ status: 404 });
  });

  it('a watch token reads and watches its job on every transport (HTTP, Socket.IO, SSE, plain WebSocket), and nothing else', async () => {
    const { body } = await post<SubmitJobResponse>('/jobs', alice, {
      ...steps,
      payload: { steps: 20, intervalMs: 50 },
    });
    const jobId = body.job.id;
    const other = (await post<SubmitJobResponse>('/jobs', alice, steps)).body.job.id;
    const mintedFrom = Date.now();
    const minted = await post<WatchToken>(`/jobs/${jobId}/watch-token`, alice, undefined, 1);
    const mintedBy = Date.now();
    expect(minted.status).toBe(201);
    const watch = minted.body.token;
    // WATCH_TOKEN_TTL from when it was minted, in the whole seconds of a JWT's `exp`.
    const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
    expect(minted.body.expiresAt).toBeGreaterThanOrEqual(wholeSecond(mintedFrom + WATCH_TOKEN_TTL_MS));
    expect(minted.body.expiresAt).toBeLessThanOrEqual(wholeSecond(mintedBy + WATCH_TOKEN_TTL_MS));
    // Only who may read the job gets one.
    const bob = await signToken('bob', { tenant: 'acme' });
    expect(await post(`/jobs/${jobId}/watch-token`, bob)).toMatchObject({ status: 404 });

    expect(await get(`/jobs/${jobId}`, watch, 1)).toMatchObject({ status: 200, body: { id: jobId } });
    expect(await get(`/jobs/${other}`, watch)).toMatchObject({
      status: 404,
      body: { error: { code: 'JOB_NOT_FOUND' } },
    });
    expect(await post('/jobs', watch, steps)).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await post(`/jobs/${jobId}/cancel`, watch)).toMatchObject({ status: 403 });
    expect(await post(`/jobs/${jobId}/watch-token`, watch)).toMatchObject({ status: 403 });
    expect(await get('/jobs', watch)).toMatchObject({ status: 403 });

    const socket = openSocket(stack.url(0), watch);
    await connected(socket);
    expect(await emitWithAck(socket, 'subscribe', { jobId: other })).toMatchObject({
      ok: false,
      error: { code: 'JOB_NOT_FOUND' },
    });
    const plain = await openPlain(stack.url(1), watch);
    plain.send({ type: 'subscribe', id: 'other', jobId: other });
    expect(await plain.answer('other')).toMatchObject({ type: 'error', error: { code: 'JOB_NOT_FOUND' } });
    plain.send({ type: 'subscribe', id: 'mine', jobId });
    expect(await plain.answer('mine')).toMatchObject({ type: 'subscribed', jobId });
    const watcher = watchWithClient([stack.url(1)], watch, jobId);
    const sse = await fetch(`${stack.url(1)}/jobs/${jobId}/events?access_token=${watch}`);
    expect(sse.status).toBe(200);
    const streamed = parseSse(await sse.text()).map(({ data }) => data);
    await watcher.done;
    watcher.client.close();
    socket.close();
    expectCompleteSequence(watcher.events);
    expectCompleteSequence(streamed);
    expectCompleteSequence(await plain.eventsUntil(jobId, (event) => event.type === 'completed'));
    plain.close();

    // WATCH_TOKEN_TTL is 4 s here (and the allowed clock skew 30 s): past both, it is refused everywhere.
    const expired = await new SignJWT({ job: jobId })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('jobcast-watch')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(await get(`/jobs/${jobId}`, expired)).toMatchObject({ status: 401 });
    expect(minted.body.expiresAt - Date.now()).toBeLessThanOrEqual(4000);
  });

  describe('external jobs', () => {
    let publisher: string;
    beforeAll(async () => {
      publisher = await serviceToken('transcoder', 'jobs:publish', 'acme');
    });

    const external = async (leaseMs?: number) => {
      const answer = await post<SubmitJobResponse>('/jobs', publisher, {
        type: 'video.transcode',
        payload: { file: 'cat.mp4' },
        external: true,
        owner: { sub: 'alice' },
        ...(leaseMs && { leaseMs }),
      });
      expect(answer.status).toBe(202);
      return answer.body;
    };
    const append = (jobId: string, events: unknown[], headers?: Record<string, string>, token = publisher) =>
      post<{ lastSeq: number }>(`/jobs/${jobId}/events`, token, { events }, 1, headers);

    it('a service in any language reports its own job over HTTP; watchers see it as any other', async () => {
      const { job, watchToken } = await external();
      expect(job).toMatchObject({ type: 'video.transcode', status: 'queued', lastSeq: 1 });
      const watcher = watchWithClient([stack.url(0)], watchToken?.token ?? '', job.id);
      expect(await append(job.id, [{ type: 'started', data: { attempt: 1 } }])).toMatchObject({
        status: 200,
        body: { lastSeq: 2 },
      });
      const progress = [25, 50, 75].map((percent) => ({ type: 'progress', data: { percent, stage: 'encoding' } }));
      expect(
        (await append(job.id, [...progress, { type: 'log', data: { level: 'info', message: 'muxing' } }])).body,
      ).toEqual({ lastSeq: 6 });
      expect((await append(job.id, [{ type: 'completed', data: { result: { url: 's3://out.mp4' } } }])).body).toEqual({
        lastSeq: 7,
      });
      const end = await watcher.done;
      watcher.client.close();
      expect(end.data).toEqual({ result: { url: 's3://out.mp4' } });
      expectCompleteSequence(watcher.events);
      expect(await append(job.id, [{ type: 'log', data: { level: 'info', message: 'late' } }])).toMatchObject({
        status: 409,
        body: { error: { code: 'JOB_FINISHED' } },
      });
      expect(await get(`/jobs/${job.id}`, alice)).toMatchObject({ body: { status: 'completed', percent: 100 } });
    });

    it('appends once per Idempotency-Key, however many retries race, and all or none of a batch', async () => {
      const { job } = await external();
      const batch = [
        { type: 'started', data: { attempt: 1 } },
        { type: 'progress', data: { percent: 10 } },
      ];
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => append(job.id, batch, { 'idempotency-key': 'req-1' })),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expect(new Set(answers.map((answer) => answer.body.lastSeq))).toEqual(new Set([3]));
      const bad = await append(job.id, [
        { type: 'progress', data: { percent: 20 } },
        { type: 'progress', data: { percent: 500 } },
      ]);
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      const notLast = await append(job.id, [
        { type: 'completed', data: { result: null } },
        { type: 'log', data: { level: 'info', message: 'after the end' } },
      ]);
      expect(notLast).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect((await get<JobSnapshot>(`/jobs/${job.id}`, alice)).body).toMatchObject({ lastSeq: 3, percent: 10 });
    });

    it('only the publishing service, or one of its tenant, appends', async () => {
      const { job } = await external();
      const event = [{ type: 'log', data: { level: 'info', message: 'x' } }];
      expect(await append(job.id, event, undefined, alice)).toMatchObject({ status: 403 });
      expect(await append(job.id, event, undefined, submitter)).toMatchObject({ status: 403 });
      const stranger = await serviceToken('other', 'jobs:publish', 'globex');
      expect(await append(job.id, event, undefined, stranger)).toMatchObject({ status: 404 });
      const colleague = await serviceToken('transcoder-2', 'jobs:publish', 'acme');
      expect(await append(job.id, event, undefined, colleague)).toMatchObject({ status: 200 });
      const worked = await post<SubmitJobResponse>('/jobs', alice, steps);
      expect(await append(worked.body.job.id, event, undefined, colleague)).toMatchObject({ status: 404 });
    });

    it('limits appends per job to APPEND_RATE_PER_SECOND, with Retry-After', async () => {
      const { job } = await external();
      // The limit counts per whole second: a burst sent just after one starts falls in that second alone.
      await sleep(1000 - (Date.now() % 1000) + 20);
      const answers = await Promise.all(
        Array.from({ length: APPENDS_PER_SECOND + 10 }, (_, i) =>
          append(job.id, [{ type: 'progress', data: { percent: i } }]),
        ),
      );
      const limited = answers.filter((answer) => answer.status === 429);
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(APPENDS_PER_SECOND);
      expect(limited).toHaveLength(10);
      expect(limited[0]?.headers.get('retry-after')).toBe('1');
    });

    it('fails a job whose lease runs out, once, even when the gateway that created it is killed', async () => {
      const { job } = await external(1000);
      const watcher = watchWithClient([stack.url(1)], alice, job.id);
      await append(job.id, [{ type: 'started', data: { attempt: 1 } }]);
      stack.stack.gateways[0]?.kill('SIGKILL');
      const started = Date.now();
      const end = await watcher.done;
      watcher.client.close();
      expect(end).toMatchObject({ type: 'failed', data: { error: { code: 'LEASE_EXPIRED' } } });
      expect(Date.now() - started).toBeLessThan(6000);
      expect(watcher.events.filter((event: JobEvent) => event.type === 'failed')).toHaveLength(1);
      await sleep(1500);
      expect((await get<JobSnapshot>(`/jobs/${job.id}`, alice, 1)).body.lastSeq).toBe(end.seq);
      await stack.stack.gateways[0]?.start();
    });
  });

  it('runs the Python service example: it creates an external job and reports it to its end', async () => {
    const token = await serviceToken('reports-py', 'jobs:publish', 'acme');
    // Debian's python3, whose python3-requests the README names.
    const { stdout } = await run('/usr/bin/python3', [join(root, 'examples/report-from-python.py')], {
      env: { ...process.env, JOBCAST_URL: stack.url(1), JOBCAST_SERVICE_TOKEN: token },
      timeout: 30_000,
    });
    const jobId = /^job (\S+);/.exec(stdout)?.[1] ?? '';
    expect(stdout.trim().split('\n').at(-1)).toBe('completed at seq 6');
    const sse = await fetch(`${stack.url(0)}/jobs/${jobId}/events?access_token=${alice}`);
    const events = parseSse(await sse.text()).map(({ data }) => data);
    expectCompleteSequence(events);
    expect(eventTypes(events)).toEqual(attemptTypes({ progress: 3, end: 'completed' }));
    expect(events.at(-1)?.data).toEqual({ result: { pages: 12 } });
  });

  it('runs the backend example: it submits for its user and its page watches with the watch token alone', async () => {
    const backend = spawn(process.execPath, [join(root, 'examples/backend-with-watch-token/server.mjs')], {
      env: { ...process.env, JOBCAST_URL: stack.url(0), JOBCAST_SERVICE_TOKEN: submitter, PORT: String(backendPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const browser = await launchChromium();
    try {
      await new Promise((resolve) => backend.stdout.once('data', resolve));
      await browser.page.goto(`http://127.0.0.1:${backendPort}/`);
      await browser.page.click('#build');
      // Strings, not functions: they run in the page, and this file is type-checked without the DOM's types.
      await browser.page.waitForFunction("document.getElementById('status').textContent === 'completed'", null, {
        timeout: 30_000,
      });
      expect(await browser.page.evaluate("document.getElementById('bar').value")).toBe(100);
      // The job is alice's (of acme, the service's tenant), as the backend submitted it for her.
      const listed = await get<{ jobs: JobSnapshot[] }>('/jobs', alice);
      expect(listed.body.jobs[0]).toMatchObject({ type: 'demo.steps', status: 'completed' });
    } finally {
      await browser.close();
      backend.kill();
    }
  });

  it('gives every job’s keys a TTL from creation, finished or not', async () => {
    const publisher = await serviceToken('transcoder', 'jobs:publish', 'acme');
    const { body } = await post<SubmitJobResponse>('/jobs', publisher, {
      type: 'never.ends',
      external: true,
      leaseMs: 3_600_000,
    });
    const redis = new Redis(stack.stack.redisUrl);
    try {
      for (const key of [`jobcast:job:{${body.job.id}}:snapshot`, `jobcast:job:{${body.job.id}}:log`]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(6 * 86_400_000);
        expect(ttl).toBeLessThanOrEqual(7 * 86_400_000);
      }
      expect(await redis.pttl('jobcast:owner:{acme:transcoder}:jobs')).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});
