import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { JOBS_QUEUE_NAME, RedisKeys } from '@jobcast/redis';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '../support/eventually';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { attemptTypes, eventTypes, expectCompleteSequence, watchWithClient, type Watcher } from '../support/watchers';

describe('job lifecycle', () => {
  const stack = useE2eStack({
    gateways: 1,
    workers: 2,
    env: { PROGRESS_MAX_HZ: '10', WORKER_CONCURRENCY: '2', SHUTDOWN_GRACE: '1500' },
  });
  let token: string;

  async function run(body: Record<string, unknown>): Promise<{ job: JobSnapshot; watcher: Watcher }> {
    const job = await submitJob(stack.url(0), token, body);
    const watcher = watchWithClient([stack.url(0)], token, job.id);
    stack.closeAtStop(watcher.client);
    return { job, watcher };
  }

  const until = (what: string, check: () => boolean): Promise<true> => eventually(what, check, 30_000, 20);

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('coalesces 10,000 progress calls to PROGRESS_MAX_HZ and ends on the final value', async () => {
    const { watcher } = await run({ type: 'demo.steps', payload: { steps: 10_000, intervalMs: 0 } });
    await watcher.done;
    expectCompleteSequence(watcher.events);
    const started = watcher.events.find((e) => e.type === 'started') as JobEvent;
    const completed = watcher.events.at(-1) as JobEvent;
    const progress = watcher.events.filter((e) => e.type === 'progress');
    const seconds = (completed.at - started.at) / 1000;
    expect(progress.length).toBeLessThanOrEqual(Math.floor(10 * seconds) + 1);
    expect(progress.at(-1)?.data).toMatchObject({ percent: 100, current: 10_000, total: 10_000 });
    expect(watcher.events.at(-2)?.type).toBe('progress');
  });

  it('retries a failing attempt with backoff, then succeeds', async () => {
    const { watcher } = await run({
      type: 'demo.steps',
      payload: { steps: 3, intervalMs: 120, failAt: 2, failTimes: 1 },
    });
    await watcher.done;
    expect(eventTypes(watcher.events)).toEqual(
      attemptTypes({ progress: 1, end: 'retrying' }, { progress: 3, end: 'completed' }),
    );
    const retrying = watcher.events[3] as JobEvent;
    const restarted = watcher.events[4] as JobEvent;
    expect(retrying.data).toEqual({
      attempt: 2,
      error: { message: 'demo.steps failed at step 2 on attempt 1' },
      delayMs: 200,
    });
    expect(restarted.data).toEqual({ attempt: 2 });
    // Not before the backoff it announced (give or take the whole milliseconds of `at`).
    expect(restarted.at - retrying.at).toBeGreaterThanOrEqual((retrying.data as { delayMs: number }).delayMs - 1);
  });

  it('retries until the last attempt, then fails with the error and the attempt count', async () => {
    const { watcher } = await run({
      type: 'demo.steps',
      payload: { steps: 2, intervalMs: 10, failAt: 1 },
      attempts: 3,
    });
    await expect(watcher.done).resolves.toMatchObject({ type: 'failed' });
    expect(eventTypes(watcher.events)).toEqual(
      attemptTypes({ progress: 0, end: 'retrying' }, { progress: 0, end: 'retrying' }, { progress: 0, end: 'failed' }),
    );
    expect(watcher.events.filter((e) => e.type === 'retrying').map((e) => e.data)).toMatchObject([
      { attempt: 2, delayMs: 200 },
      { attempt: 3, delayMs: 400 },
    ]);
    expect(watcher.events.at(-1)?.data).toEqual({
      error: { message: 'demo.steps failed at step 1 on attempt 3' },
      attempts: 3,
    });
  });

  it('fails an attempt that outruns its timeout with JOB_TIMEOUT', async () => {
    const { job, watcher } = await run({
      type: 'demo.steps',
      payload: { steps: 10, intervalMs: 300, timeoutMs: 700 },
      attempts: 1,
    });
    await watcher.done;
    expect(watcher.events.at(-1)).toMatchObject({
      type: 'failed',
      data: { error: { code: 'JOB_TIMEOUT', message: 'attempt 1 ran longer than 700 ms' }, attempts: 1 },
    });
    expect((await waitForEnd(stack.url(0), token, job.id)).error).toMatchObject({ code: 'JOB_TIMEOUT' });
  });

  it('cancels a running job: its handler stops, watchers get cancelled, a second cancel is harmless', async () => {
    const { job, watcher } = await run({ type: 'demo.steps', payload: { steps: 100, intervalMs: 50 } });
    await until('progress', () => watcher.events.some((e) => e.type === 'progress'));
    const first = await request<JobSnapshot>(`${stack.url(0)}/jobs/${job.id}/cancel`, { method: 'POST', token });
    expect(first.status).toBe(202);
    await expect(watcher.done).resolves.toMatchObject({ type: 'cancelled' });
    expectCompleteSequence(watcher.events, 'cancelled');
    const again = await request<JobSnapshot>(`${stack.url(0)}/jobs/${job.id}/cancel`, { method: 'POST', token });
    expect(again).toMatchObject({ status: 202, body: { status: 'cancelled' } });
    await sleep(300);
    const snapshot = (await request<JobSnapshot>(`${stack.url(0)}/jobs/${job.id}`, { token })).body;
    expect(snapshot.lastSeq).toBe(watcher.events.at(-1)?.seq);
    expect(snapshot.percent).toBeLessThan(100);
  });

  it('cancels a queued job before any worker starts it, and refuses to cancel a finished one', async () => {
    // Four slots (2 workers x 2) busy, so the fifth job waits in the queue.
    const blockers = await Promise.all(
      [1, 2, 3, 4].map(() => run({ type: 'demo.steps', payload: { steps: 20, intervalMs: 50 } })),
    );
    await until('every slot busy', () =>
      blockers.every(({ watcher }) => watcher.events.some((e) => e.type === 'started')),
    );
    const { job, watcher } = await run({ type: 'demo.steps', payload: { steps: 2, intervalMs: 10 } });
    const cancel = await request<JobSnapshot>(`${stack.url(0)}/jobs/${job.id}/cancel`, { method: 'POST', token });
    expect(cancel).toMatchObject({ status: 202, body: { status: 'cancelled' } });
    await watcher.done;
    expect(eventTypes(watcher.events)).toEqual(['queued', 'cancelled']);
    await Promise.all(blockers.map(({ watcher: w }) => w.done));
    const finished = await request(`${stack.url(0)}/jobs/${blockers[0]?.job.id}/cancel`, { method: 'POST', token });
    expect(finished).toMatchObject({ status: 409, body: { error: { code: 'JOB_FINISHED' } } });
  });

  it('runs at most WORKER_CONCURRENCY jobs per worker at once', async () => {
    const jobs = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => run({ type: 'demo.steps', payload: { steps: 4, intervalMs: 250 } })),
    );
    await Promise.all(jobs.map(({ watcher }) => watcher.done));
    const spans = jobs.map(({ watcher }) => ({
      start: (watcher.events.find((e) => e.type === 'started') as JobEvent).at,
      end: (watcher.events.at(-1) as JobEvent).at,
    }));
    const overlapAt = (time: number) => spans.filter((span) => span.start <= time && time < span.end).length;
    const peak = Math.max(...spans.map((span) => overlapAt(span.start)));
    expect(peak).toBe(4);
  });

  it('gives the same job to racing submits with one idempotency key', async () => {
    const body = { type: 'demo.steps', payload: { steps: 1, intervalMs: 1 }, idempotencyKey: `order-${Date.now()}` };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => request<{ job: JobSnapshot }>(`${stack.url(0)}/jobs`, { token, body })),
    );
    expect(new Set(answers.map((answer) => answer.body.job.id)).size).toBe(1);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    const other = await request<{ job: JobSnapshot }>(`${stack.url(0)}/jobs`, { token: await signToken('bob'), body });
    expect(other.status).toBe(202);
    expect(other.body.job.id).not.toBe(answers[0]?.body.job.id);
  });

  it('a retried idempotent submit queues a job that its first gateway created but never queued', async () => {
    // The state a gateway leaves when it dies between creating the job and queueing it, made by hand.
    await Promise.all(stack.stack.workers.map((worker) => worker.stop()));
    const body = { type: 'demo.steps', payload: { steps: 2, intervalMs: 10 }, idempotencyKey: `lost-${Date.now()}` };
    const first = await request<{ job: JobSnapshot }>(`${stack.url(0)}/jobs`, { token, body });
    const connection = new Redis(stack.stack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(JOBS_QUEUE_NAME, {
      connection,
      prefix: new RedisKeys('jobcast').queuePrefix('demo.steps'),
    });
    try {
      expect(await queue.remove(first.body.job.id)).toBe(1);
      const retried = await request<{ job: JobSnapshot }>(`${stack.url(0)}/jobs`, { token, body });
      expect(retried).toMatchObject({ status: 200, body: { job: { id: first.body.job.id, status: 'queued' } } });
      expect(await queue.getJobState(first.body.job.id)).toBe('waiting');
    } finally {
      await queue.close();
      connection.disconnect();
      await Promise.all(stack.stack.workers.map((worker) => worker.start()));
    }
    expect(await waitForEnd(stack.url(0), token, first.body.job.id)).toMatchObject({ status: 'completed' });
  });

  it('SIGTERM to a busy worker: short jobs finish, long ones go back to the queue and another worker ends them', async () => {
    const [worker, other] = stack.stack.workers;
    // Only the worker about to be stopped takes jobs: one slot each for a job that outlasts the 1.5 s grace
    // and one that does not. The other worker comes back once both are running, to take the job handed back.
    await other?.stop();
    const long = [await run({ type: 'demo.steps', payload: { steps: 40, intervalMs: 100 } })];
    const short = [await run({ type: 'demo.steps', payload: { steps: 5, intervalMs: 100 } })];
    const all = [...long, ...short];
    await until('every job started', () =>
      all.every(({ watcher }) => watcher.events.some((e) => e.type === 'started')),
    );
    await other?.start();
    worker?.kill('SIGTERM');
    await worker?.exited();
    await Promise.all(all.map(({ watcher }) => watcher.done));
    for (const { watcher } of all) expectCompleteSequence(watcher.events);
    for (const { watcher } of short) expect(watcher.events.filter((e) => e.type === 'started')).toHaveLength(1);
    const handedBack = long.filter(({ watcher }) => watcher.events.some((e) => e.type === 'log'));
    // The long job outlasts the grace, so it goes back to the queue; the short one finished in it.
    expect(handedBack).toEqual(long);
    for (const { watcher } of handedBack) {
      const log = watcher.events.find((e) => e.type === 'log') as JobEvent;
      expect(log.data).toEqual({ level: 'warn', message: 'worker shutting down; job returned to the queue' });
      const afterLog = watcher.events.slice(watcher.events.indexOf(log) + 1);
      expect(afterLog[0]).toMatchObject({ type: 'started', data: { attempt: 2 } });
    }
    await worker?.start();
  });
});
