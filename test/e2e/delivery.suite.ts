import type { JobEvent, JobSnapshot, SubscribeAck } from '@jobcast/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken, type E2eStack } from '../support/e2e-stack';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { attemptTypes, eventTypes, expectCompleteSequence } from '../support/watchers';
import {
  EventCollector,
  connectError,
  connected,
  emitWithAck,
  openSocket,
  type RawSocket,
} from '../support/raw-socket';

/**
 * What Jobcast promises whatever Redis it runs on, beside the delivery guarantees every transport is held to
 * (transports.suite.ts): bursts, jobs that fail, real work, cancels across gateways, coded refusals, over
 * Socket.IO. One suite, defined inside a `describe` that started `stack` on one topology (one redis-server, a
 * Redis Cluster …) with two gateways and one worker, so every topology is held to the same tests.
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
