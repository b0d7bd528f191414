import { TERMINAL_STATUSES, type JobSnapshot } from '@jobcast/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { eventually, sleep } from '../support/eventually';
import { parseSse, request, submitJob, waitForEnd } from '../support/http-api';
import { expectCompleteSequence, received, watchWithClient, type Watcher } from '../support/watchers';

/**
 * Faults of workers, and what the typed client and SSE's framing add to the delivery guarantees; the faults of
 * gateways and Redis, over every transport and topology, are in transports.suite.ts.
 */
describe('nothing lost under faults', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1 });
  let token: string;

  function watch(jobId: string, gatewayOrder: number[]): Watcher {
    const watcher = watchWithClient(
      gatewayOrder.map((i) => stack.url(i)),
      token,
      jobId,
    );
    stack.closeAtStop(watcher.client);
    return watcher;
  }

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('the typed client, over Socket.IO and over the plain WebSocket, rides out kill -9 and a drain with every event once', async () => {
    const job = await submitJob(stack.url(1), token, { type: 'demo.steps', payload: { steps: 60, intervalMs: 50 } });
    const group = (['socket.io', 'websocket'] as const).flatMap((transport) =>
      [0, 1, 0].map((first) => {
        const watcher = watchWithClient([stack.url(first), stack.url(1 - first)], token, job.id, transport);
        stack.closeAtStop(watcher.client);
        return watcher;
      }),
    );
    const states = group.map(() => [] as string[]);
    group.forEach((watcher, i) => watcher.client.onState((state) => states[i]?.push(state)));
    await received(group[0] as Watcher, 5);
    const [first, second] = stack.stack.gateways;
    first?.kill('SIGKILL');
    await received(group[0] as Watcher, 20);
    await first?.exited();
    await first?.start();
    second?.kill('SIGTERM');
    await second?.exited();
    await second?.start();
    const terminal = await Promise.all(group.map((watcher) => watcher.done));
    expect(terminal.map((event) => event.type)).toEqual(Array<string>(6).fill('completed'));
    for (const watcher of group) expectCompleteSequence(watcher.events);
    for (const watcher of group) expect(watcher.events).toEqual(group[0]?.events);
    for (const seen of states) expect(seen).toContain('reconnecting');
  });

  it('kill -9 the worker mid-job: BullMQ hands the job to a new worker, watchers see attempt 2 and the end', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 30, intervalMs: 50 } });
    const watcher = watch(job.id, [0, 1]);
    await received(watcher, 8);
    const worker = stack.stack.workers[0];
    worker?.kill('SIGKILL');
    await worker?.exited();
    await worker?.start();
    await watcher.done;
    expectCompleteSequence(watcher.events);
    expect(watcher.events.filter((e) => e.type === 'started').map((e) => e.data.attempt)).toEqual([1, 2]);
  });

  it('a job whose worker dies mid-job twice is failed by BullMQ, and its watchers see failed, not silence', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 400, intervalMs: 50 } });
    const watcher = watch(job.id, [1, 0]);
    const worker = stack.stack.workers[0];
    for (const attempt of [1, 2]) {
      await eventually(`attempt ${attempt} to run`, () =>
        watcher.events.some((e) => e.type === 'started' && e.data.attempt === attempt),
      );
      await received(watcher, watcher.events.length + 3);
      worker?.kill('SIGKILL');
      await worker?.exited();
      await worker?.start();
    }
    const end = await watcher.done;
    expect(end).toMatchObject({
      type: 'failed',
      data: { error: { code: 'STALLED', message: 'job stalled more than allowable limit' }, attempts: 2 },
    });
    expectCompleteSequence(watcher.events, 'failed');
  });

  it('SSE: each frame carries its seq as id and its type as event; ?afterSeq= and ?access_token= resume too', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 20, intervalMs: 10 } });
    await waitForEnd(stack.url(0), token, job.id);
    const all = parseSse((await request<string>(`${stack.url(1)}/jobs/${job.id}/events`, { token })).body);
    expect(all.map((frame) => Number(frame.id))).toEqual(all.map((frame) => frame.data.seq));
    expect(all.map((frame) => frame.event)).toEqual(all.map((frame) => frame.data.type));
    expectCompleteSequence(all.map((frame) => frame.data));
    const viaQuery = parseSse(
      (await request<string>(`${stack.url(1)}/jobs/${job.id}/events?afterSeq=20&access_token=${token}`)).body,
    );
    expect(viaQuery.map((frame) => frame.data.seq)).toEqual([21, 22, 23]);
  });

  it("SSE: HEAD of a running job's stream answers at once with the head a GET would get, and holds no stream", async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 50, intervalMs: 200 } });
    const head = await request(`${stack.url(1)}/jobs/${job.id}/events`, { method: 'HEAD', token });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(head.body).toBe('');
    // Answered while the job still runs: a HEAD that held its stream would answer only once the job ended.
    const after = await request<JobSnapshot>(`${stack.url(0)}/jobs/${job.id}`, { token });
    expect(TERMINAL_STATUSES).not.toContain(after.body.status);
    await request(`${stack.url(0)}/jobs/${job.id}/cancel`, { method: 'POST', token });
  });
});

describe('retention', () => {
  const stack = useE2eStack({ gateways: 1, env: { JOB_TTL: '2s', JOB_LOG_MAX_EVENTS: '50' } });
  let token: string;

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('caps the log, and expires a job JOB_TTL after it ends: then it answers JOB_NOT_FOUND', async () => {
    const job = await submitJob(stack.url(0), token, {
      type: 'demo.steps',
      payload: { steps: 300, intervalMs: 0, log: true },
    });
    const watcher = watchWithClient([stack.url(0)], token, job.id);
    const terminal = await watcher.done;
    watcher.client.close();
    expect(terminal.seq).toBeGreaterThan(300);
    const late = watchWithClient([stack.url(0)], token, job.id);
    await late.done;
    // Trimming is approximate (whole stream nodes of 100 entries), so the cap of 50 keeps 50 to ~150.
    expect(late.events.length).toBeGreaterThanOrEqual(50);
    expect(late.events.length).toBeLessThan(200);
    expect(late.events.at(-1)).toEqual(terminal);
    late.client.close();
    await sleep(2500);
    expect((await request(`${stack.url(0)}/jobs/${job.id}`, { token })).body).toMatchObject({
      error: { code: 'JOB_NOT_FOUND' },
    });
    const expired = watchWithClient([stack.url(0)], token, job.id);
    await expect(expired.done).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expired.client.close();
    expect((await request<{ jobs: unknown[] }>(`${stack.url(0)}/jobs`, { token })).body.jobs).toEqual([]);
  });
});
