import type { JobSnapshot } from '@jobcast/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eStack, signToken } from '../support/e2e-stack';
import { request, waitForEnd } from '../support/http-api';

/** One user cannot hold every worker: a cap on active jobs, on attempts and on how long an attempt runs. */
describe('fair use of workers', () => {
  const stack = new E2eStack({
    gateways: 1,
    env: { MAX_ACTIVE_JOBS_PER_USER: '3', MAX_ATTEMPTS: '4', JOB_TIMEOUT_MAX: '3s', WORKER_CONCURRENCY: '1' },
  });
  let alice: string;
  const long = { type: 'demo.steps', payload: { steps: 1000, intervalMs: 100, timeoutMs: 86_400_000 }, attempts: 1 };
  const submit = (token: string, body: unknown = long) =>
    request<{ job: JobSnapshot }>(`${stack.url(0)}/jobs`, { token, body });

  beforeAll(async () => {
    await stack.start();
    alice = await signToken('alice');
  });
  afterAll(() => stack.stop());

  it('takes at most MAX_ACTIVE_JOBS_PER_USER queued or running jobs per user, and frees a place when one ends', async () => {
    const accepted = await Promise.all([submit(alice), submit(alice), submit(alice)]);
    expect(accepted.map((answer) => answer.status)).toEqual([202, 202, 202]);
    const refused = await submit(alice);
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_ACTIVE_JOBS' } } });
    expect(refused.headers.get('retry-after')).toBe('5');
    expect((await submit(await signToken('bob'))).status).toBe(202);
    const [, queued] = accepted;
    await request(`${stack.url(0)}/jobs/${queued?.body.job.id}/cancel`, { method: 'POST', token: alice });
    expect((await submit(alice)).status).toBe(202);
  });

  it('caps attempts per submit at MAX_ATTEMPTS', async () => {
    const bob = await signToken('bob-attempts');
    const quick = { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } };
    expect(await submit(bob, { ...quick, attempts: 5 })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
    expect((await submit(bob, { ...quick, attempts: 4 })).status).toBe(202);
  });

  it('ends any attempt after JOB_TIMEOUT_MAX, whatever its payload asks', async () => {
    const carol = await signToken('carol');
    const { body } = await submit(carol);
    const end = await waitForEnd(stack.url(0), carol, body.job.id, 60_000);
    expect(end).toMatchObject({
      status: 'failed',
      error: { code: 'JOB_TIMEOUT', message: 'attempt 1 ran longer than 3000 ms' },
    });
  });
});
