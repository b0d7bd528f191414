import type { JobEvent, JobSnapshot, SubscribeAck } from '@jobcast/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken, type E2eStack } from '../support/e2e-stack';
import { sleep } from '../support/eventually';
import { parseSse, request, submitJob, waitForEnd } from '../support/http-api';
import { attemptTypes, eventTypes, expectCompleteSequence } from '../support/watchers';
import {
  EventCollector,
  connectError,
  connected,
  emitWithAck,
  openSocket,
  outline,
  range,
  seqs,
  type RawSocket,
} from '../support/raw-socket';

/**
 * What Jobcast promises whatever Redis it runs on: submit over HTTP, watch from any gateway, every event
 * once and in order, resume anywhere, coded refusals. One suite, defined inside a `describe` that started
 * `stack` on one topology (one redis-server, a Redis Cluster …) with two gateways and one worker, so every
 * topology is held to the same tests.
 */
export function deliverySuite(stack: E2eStack): void {
  let alice: string;
  let bob: string;

  function socketTo(gateway: number, token: string = alice, batch?: boolean): RawSocket {
    return stack.closeAtStop(openSocket(stack.url(gateway), token, { batch }));
  }

  beforeAll(async () => {
    alice = await signToken('alice');
    bob = await signToken('bob');
  });

  it('streams queued, started, every progress and completed, seq 1..n, identically on both gateways', async () => {
    const devToken = await request<{ token: string }>(`${stack.url(0)}/auth/dev-token`, { body: { sub: 'alice' } });
    expect(devToken.status).toBe(200);
    const job = await submitJob(stack.url(0), devToken.body.token, {
      type: 'demo.steps',
      payload: { steps: 8, intervalMs: 60 },
    });
    expect(job).toMatchObject({ type: 'demo.steps', status: 'queued', lastSeq: 1 });

    const onB = new EventCollector(socketTo(1, devToken.body.token), job.id);
    const onA = new EventCollector(socketTo(0, devToken.body.token), job.id);
    await Promise.all([connected(onB.socket), connected(onA.socket)]);
    await Promise.all([onB.subscribe(), onA.subscribe()]);
    await Promise.all([onB.waitFor(), onA.waitFor()]);

    expect(eventTypes(onB.events)).toEqual(attemptTypes({ progress: 8, end: 'completed' }));
    expect(seqs(onB.events)).toEqual(range(1, 11));
    expect(onA.events).toEqual(onB.events);
    expect(onB.events.filter((e) => e.type === 'progress').map((e) => (e.data as { current: number }).current)).toEqual(
      range(1, 8),
    );
    expect(onB.events.at(-1)).toMatchObject({ type: 'completed', data: { result: { steps: 8 } } });
  });

  it('gives a late subscriber the snapshot and the whole log, even after the job ended', async () => {
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 3, intervalMs: 10 } });
    await waitForEnd(stack.url(0), alice, job.id);
    const late = new EventCollector(socketTo(1), job.id);
    const ack = await late.subscribe();
    expect(ack.ok).toBe(true);
    const { snapshot, events } = ack as Extract<SubscribeAck, { ok: true }>;
    expect(snapshot).toMatchObject({ id: job.id, status: 'completed', percent: 100, lastSeq: 6, result: { steps: 3 } });
    expect(outline(events)).toEqual(['1:queued', '2:started', '3:progress', '4:progress', '5:progress', '6:completed']);
  });

  it('resumes with afterSeq on the other gateway with exactly the missing events, none twice, while events fly', async () => {
    const steps = 60;
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps, intervalMs: 15 } });
    const seen: JobEvent[] = [];
    // Drop and resubscribe again and again, alternating gateways, while the job publishes every 15 ms: some
    // subscribes are in flight exactly when events are published.
    for (let round = 0; !seen.some((e) => e.type === 'completed'); round += 1) {
      const socket = socketTo(round % 2);
      const collector = new EventCollector(socket, job.id);
      await connected(socket);
      const ack = await collector.subscribe(seen.at(-1)?.seq ?? 0);
      expect(ack.ok).toBe(true);
      await sleep(5 + (round % 4) * 20);
      seen.push(...collector.events);
      socket.disconnect();
      expect(round).toBeLessThan(500);
    }
    expect(seqs(seen)).toEqual(range(1, steps + 3));
    expect(seen.at(-1)?.type).toBe('completed');
  });

  it('sends a burst as one job:events packet to sockets that opted in, and as job:event each to the others', async () => {
    const job = await submitJob(stack.url(1), alice, { type: 'demo.steps', payload: { steps: 40, intervalMs: 25 } });
    const watchers = [socketTo(0, alice, true), socketTo(0, alice)].map((socket) => new EventCollector(socket, job.id));
    for (const watcher of watchers) {
      await connected(watcher.socket);
      expect((await watcher.subscribe()).ok).toBe(true);
    }
    const [batched, single] = watchers as [EventCollector, EventCollector];
    // Frozen, gateway 0 cannot read its Redis connection, so what the job publishes meanwhile waits in one
    // buffer and arrives as one burst when it thaws.
    const frozen = stack.stack.gateways[0]?.pid ?? 0;
    process.kill(frozen, 'SIGSTOP');
    try {
      await waitForEnd(stack.url(1), alice, job.id);
    } finally {
      process.kill(frozen, 'SIGCONT');
    }
    for (const watcher of watchers) {
      await watcher.waitFor();
      expectCompleteSequence(watcher.events);
    }
    expect(batched.bursts.length).toBeGreaterThan(0);
    for (const burst of batched.bursts) expect(burst.length).toBeGreaterThan(1);
    expect(single.bursts).toEqual([]);
  });

  it('sends each event at once while the gateway keeps up, even for a job publishing 100 times a second', async () => {
    const fast = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 80, intervalMs: 10 } });
    const watcher = new EventCollector(socketTo(0, alice, true), fast.id);
    await connected(watcher.socket);
    expect((await watcher.subscribe()).ok).toBe(true);
    await watcher.waitFor();
    expectCompleteSequence(watcher.events);
    const live = watcher.events.length - (watcher.ack?.ok ? watcher.ack.events.length : 0);
    expect(live).toBeGreaterThan(40);
    // No fixed window holds events back: an idle gateway sends almost every one alone (a busy moment on a
    // shared machine may group a few, which is what batching by load is for).
    expect(watcher.packets).toBeGreaterThan(live * 0.6);
  });

  it('reports a failing job with its error, after its retries', async () => {
    const job = await submitJob(stack.url(0), alice, {
      type: 'demo.steps',
      payload: { steps: 3, intervalMs: 10, failAt: 2 },
      attempts: 2,
    });
    const collector = new EventCollector(socketTo(1), job.id);
    await collector.subscribe();
    const events = await collector.waitFor();
    expect(eventTypes(events)).toEqual(attemptTypes({ progress: 1, end: 'retrying' }, { progress: 1, end: 'failed' }));
    expect(events[3]).toMatchObject({
      data: { attempt: 2, error: { message: 'demo.steps failed at step 2 on attempt 1' }, delayMs: 200 },
    });
    expect(events[4]).toMatchObject({ data: { attempt: 2 } });
    expect(events[6]).toMatchObject({
      data: { error: { message: 'demo.steps failed at step 2 on attempt 2' }, attempts: 2 },
    });
    const snapshot = await waitForEnd(stack.url(0), alice, job.id);
    expect(snapshot).toMatchObject({
      status: 'failed',
      attempt: 2,
      error: { message: 'demo.steps failed at step 2 on attempt 2' },
    });
  });

  it('runs the real hashing job to a deterministic digest with rising progress', async () => {
    const run = async (seed: string): Promise<{ events: JobEvent[]; snapshot: JobSnapshot }> => {
      const job = await submitJob(stack.url(1), alice, { type: 'hash.sha256', payload: { sizeMb: 6, seed } });
      const collector = new EventCollector(socketTo(0), job.id);
      await collector.subscribe();
      const events = await collector.waitFor();
      return { events, snapshot: await waitForEnd(stack.url(0), alice, job.id) };
    };
    const first = await run('alpha');
    const percents = first.events
      .filter((e) => e.type === 'progress')
      .map((e) => (e.data as { percent: number }).percent);
    expect(percents.length).toBeGreaterThan(1);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    const result = first.snapshot.result as { sha256: string; bytes: number };
    expect(result.bytes).toBe(6 * 1024 * 1024);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.events.at(-1)).toMatchObject({ type: 'completed', data: { result } });
    const again = await run('alpha');
    const other = await run('beta');
    expect((again.snapshot.result as { sha256: string }).sha256).toBe(result.sha256);
    expect((other.snapshot.result as { sha256: string }).sha256).not.toBe(result.sha256);
  });

  it("keeps a job's tags: its snapshot carries them, over HTTP and in a subscribe answer, to the end", async () => {
    const job = await submitJob(stack.url(0), alice, {
      type: 'demo.steps',
      payload: { steps: 2, intervalMs: 10 },
      tags: ['uploads', 'user:42'],
    });
    expect(job.tags).toEqual(['uploads', 'user:42']);
    expect((await waitForEnd(stack.url(1), alice, job.id)).tags).toEqual(['uploads', 'user:42']);
    const ack = await emitWithAck<SubscribeAck>(socketTo(1), 'subscribe', { jobId: job.id });
    expect(ack.ok && ack.snapshot.tags).toEqual(['uploads', 'user:42']);
  });

  it('cancels a running job from the other gateway: its watcher ends with cancelled', async () => {
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 100, intervalMs: 50 } });
    const watcher = new EventCollector(socketTo(1), job.id);
    await connected(watcher.socket);
    expect((await watcher.subscribe()).ok).toBe(true);
    await watcher.waitFor((event) => event.type === 'progress');
    const cancel = await request(`${stack.url(0)}/jobs/${job.id}/cancel`, { method: 'POST', token: alice });
    expect(cancel.status).toBe(202);
    expectCompleteSequence(await watcher.waitFor(), 'cancelled');
    expect(await waitForEnd(stack.url(1), alice, job.id)).toMatchObject({ status: 'cancelled' });
  });

  it('streams a job over SSE, and resumes it with Last-Event-ID on the other gateway', async () => {
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 6, intervalMs: 30 } });
    const events = (gateway: number, headers: Record<string, string> = {}) =>
      request<string>(`${stack.url(gateway)}/jobs/${job.id}/events`, { token: alice, headers });
    const whole = parseSse((await events(1)).body);
    expect(whole.map((frame) => Number(frame.id))).toEqual(range(1, 9));
    expectCompleteSequence(whole.map((frame) => frame.data));
    const rest = parseSse((await events(0, { 'last-event-id': '5' })).body);
    expect(rest.map((frame) => frame.data)).toEqual(whole.slice(5).map((frame) => frame.data));
  });

  describe('answers bad requests with a code', () => {
    it("treats another user's job as one that does not exist, over HTTP and over the socket", async () => {
      const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
      const asBob = await request(`${stack.url(0)}/jobs/${job.id}`, { token: bob });
      const missing = await request(`${stack.url(0)}/jobs/no-such-job`, { token: bob });
      expect(asBob.status).toBe(404);
      expect(asBob.body).toEqual({ error: { code: 'JOB_NOT_FOUND', message: `Job ${job.id} not found` } });
      expect(missing.status).toBe(404);
      expect((await request(`${stack.url(0)}/jobs/${job.id}/cancel`, { method: 'POST', token: bob })).status).toBe(404);
      const socket = socketTo(1, bob);
      await connected(socket);
      const ack = await emitWithAck(socket, 'subscribe', { jobId: job.id });
      expect(ack).toEqual({ ok: false, error: { code: 'JOB_NOT_FOUND', message: `Job ${job.id} not found` } });
      const tenantBob = await signToken('alice', { tenant: 'other-tenant' });
      expect((await request(`${stack.url(0)}/jobs/${job.id}`, { token: tenantBob })).status).toBe(404);
    });

    it('refuses missing and bad tokens: 401 over HTTP, connect_error UNAUTHORIZED over Socket.IO', async () => {
      const noToken = await request(`${stack.url(0)}/jobs`);
      expect(noToken.status).toBe(401);
      expect(noToken.body).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      const forged = await signToken('alice', { secret: 'not-the-secret-not-the-secret-000000' });
      const expired = await signToken('alice', { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
      for (const token of [forged, expired, 'garbage']) {
        expect((await request(`${stack.url(0)}/jobs`, { token })).status).toBe(401);
      }
      for (const token of [forged, expired, 'garbage', undefined, 42]) {
        // Not socketTo: its default token would stand in for `undefined`.
        const socket = stack.closeAtStop(openSocket(stack.url(1), token));
        expect(await connectError(socket)).toBe('UNAUTHORIZED');
      }
    });

    it('answers 400 with a code for bad JSON, a missing or unknown type, and a payload that fails its schema', async () => {
      const post = (init: { body?: unknown; rawBody?: string }) =>
        request<{ error: { code: string } }>(`${stack.url(0)}/jobs`, { token: alice, ...init });
      const cases: Array<[{ body?: unknown; rawBody?: string }, string]> = [
        [{ rawBody: '{"type": "demo.steps", ' }, 'VALIDATION_FAILED'],
        [{ body: { payload: {} } }, 'VALIDATION_FAILED'],
        [{ body: { type: 'no.such.type' } }, 'UNKNOWN_JOB_TYPE'],
        [{ body: { type: 'demo.steps', payload: { steps: 'many', intervalMs: 1 } } }, 'VALIDATION_FAILED'],
        [{ body: { type: 'demo.steps', payload: { steps: 1 } } }, 'VALIDATION_FAILED'],
        [{ body: { type: 'demo.steps', payload: { steps: 1, intervalMs: 1 }, attempts: 0 } }, 'VALIDATION_FAILED'],
        [{ body: ['not', 'an', 'object'] }, 'VALIDATION_FAILED'],
        [{ body: { type: 'demo.steps', payload: { steps: 1, intervalMs: 1 }, tags: ['a', 'a'] } }, 'VALIDATION_FAILED'],
        [{ body: { type: 'demo.steps', payload: { steps: 1, intervalMs: 1 }, tags: ['{a}'] } }, 'VALIDATION_FAILED'],
      ];
      for (const [init, code] of cases) {
        const answer = await post(init);
        expect({ init, status: answer.status, code: answer.body.error?.code }).toEqual({ init, status: 400, code });
      }
    });

    it('answers 413 for a body over the limit', async () => {
      const answer = await request(`${stack.url(0)}/jobs`, {
        token: alice,
        body: { type: 'demo.steps', payload: { steps: 1, intervalMs: 1, padding: 'x'.repeat(200 * 1024) } },
      });
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    });

    it('answers every malformed subscribe with an error ack, and the socket keeps working', async () => {
      const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
      const socket = socketTo(1);
      await connected(socket);
      const malformed: unknown[][] = [
        [],
        [null],
        ['a-string'],
        [42],
        [[job.id]],
        [{}],
        [{ jobId: 5 }],
        [{ jobId: job.id, afterSeq: -1 }],
        [{ jobId: job.id, afterSeq: 'x' }],
        [{ jobId: job.id, extra: true }],
        [{ jobId: '../../etc/passwd' }],
        [{ jobId: 'x'.repeat(500) }],
      ];
      for (const args of malformed) {
        const ack = await emitWithAck<SubscribeAck>(socket, 'subscribe', ...args);
        expect({ args, ack }).toMatchObject({ args, ack: { ok: false, error: { code: 'VALIDATION_FAILED' } } });
      }
      expect(await emitWithAck(socket, 'unsubscribe', 'nope')).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      // Without an ack callback there is no one to answer; the request must still not break the socket.
      (socket as unknown as { emit(event: string, body: unknown): void }).emit('subscribe', { jobId: job.id });
      const ack = await emitWithAck(socket, 'subscribe', { jobId: job.id });
      expect(ack).toMatchObject({ ok: true, snapshot: { id: job.id } });
      expect(socket.connected).toBe(true);
      expect(await emitWithAck(socket, 'unsubscribe', { jobId: job.id })).toEqual({ ok: true });
    });
  });
}
