import type { JobEvent } from '@jobcast/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { eventually, sleep } from '../support/eventually';
import { parseSse, request, submitJob } from '../support/http-api';
import { killSubscribersUntil } from '../support/redis-faults';
import { subscribeRaw, type EventCollector } from '../support/raw-socket';
import { expectCompleteSequence, received, watchWithClient, type Watcher } from '../support/watchers';

describe('nothing lost under faults', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1 });
  let token: string;

  /**
   * A bare socket with no client-side gap repair: what it receives proves the gateway's own guarantee,
   * since it stays connected to a gateway that survives the fault.
   */
  async function rawWatch(jobId: string, gateway: number): Promise<EventCollector> {
    const collector = await subscribeRaw(stack.url(gateway), token, jobId);
    stack.closeAtStop(collector.socket);
    return collector;
  }

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

  it('kill -9 a gateway mid-job: its watchers move to the other gateway and finish', async () => {
    const job = await submitJob(stack.url(1), token, { type: 'demo.steps', payload: { steps: 40, intervalMs: 50 } });
    const onA = [watch(job.id, [0, 1]), watch(job.id, [0, 1])];
    const onB = watch(job.id, [1, 0]);
    await received(onA[0] as Watcher, 5);
    stack.stack.gateways[0]?.kill('SIGKILL');
    await Promise.all([...onA, onB].map((w) => w.done));
    for (const watcher of [...onA, onB]) expectCompleteSequence(watcher.events);
    expect(onB.events).toEqual(onA[0]?.events);
    await stack.stack.gateways[0]?.start();
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

  it('stop Redis mid-job for a few seconds: readiness drops, then every watcher finishes', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 40, intervalMs: 50 } });
    const group = [watch(job.id, [0, 1]), watch(job.id, [1, 0])];
    const raw = await rawWatch(job.id, 1);
    await received(group[0] as Watcher, 5);
    await stack.stack.redis?.stop();
    const readiness = await Promise.all([0, 1].map((i) => request(`${stack.url(i)}/readyz`)));
    expect(readiness.map((answer) => answer.status)).toEqual([503, 503]);
    await sleep(2000);
    await stack.stack.redis?.start();
    await Promise.all(group.map((w) => w.done));
    for (const watcher of group) expectCompleteSequence(watcher.events);
    expectCompleteSequence(await raw.waitFor());
    expect((await request(`${stack.url(0)}/readyz`)).status).toBe(200);
  });

  it("killing the gateways' Redis subscriber connections mid-job costs no watcher an event, the last one included", async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 30, intervalMs: 30 } });
    const group = [watch(job.id, [0, 1]), watch(job.id, [1, 0])];
    const raw = [await rawWatch(job.id, 0), await rawWatch(job.id, 1)];
    await received(group[0] as Watcher, 2);
    const finished = (events: readonly JobEvent[]) => events.at(-1)?.type === 'completed';
    const kills = await killSubscribersUntil([stack.stack.redisUrl], () =>
      [...group, ...raw].every((watcher) => finished(watcher.events)),
    );
    expect(kills).toBeGreaterThan(3);
    for (const watcher of group) expectCompleteSequence(watcher.events);
    for (const collector of raw) expectCompleteSequence(collector.events);
  });

  it('SSE: drop the stream, reconnect with Last-Event-ID on the other gateway, get exactly the rest', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 20, intervalMs: 40 } });
    const abort = new AbortController();
    const first = await fetch(`${stack.url(0)}/jobs/${job.id}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (parseSse(text).length < 6) text += decoder.decode((await reader.read()).value, { stream: true });
    abort.abort();
    const before = parseSse(text);
    const lastId = before.at(-1)?.id ?? '';
    const second = await request<string>(`${stack.url(1)}/jobs/${job.id}/events`, {
      token,
      headers: { 'last-event-id': lastId },
    });
    const after = parseSse(second.body);
    const all = [...before, ...after];
    expect(all.map((frame) => Number(frame.id))).toEqual(all.map((frame) => frame.data.seq));
    expect(all.map((frame) => frame.event)).toEqual(all.map((frame) => frame.data.type));
    expectCompleteSequence(all.map((frame) => frame.data));
    const viaQuery = parseSse(
      (await request<string>(`${stack.url(1)}/jobs/${job.id}/events?afterSeq=20&access_token=${token}`)).body,
    );
    expect(viaQuery.map((frame) => frame.data.seq)).toEqual([21, 22, 23]);
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
