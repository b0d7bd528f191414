import { connect } from '@jobcast/client';
import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eStack, signToken } from '../support/e2e-stack';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { openPlain, type PlainClient } from '../support/plain-websocket';
import { EventCollector, connected, openSocket, seqs, type RawSocket } from '../support/raw-socket';

/**
 * docs/protocol.md, "Resets": when the log cannot give every event after `afterSeq` — trimmed by
 * JOB_LOG_MAX_EVENTS, or behind a client that saw more (Redis lost its last writes) — every transport
 * says so instead of silently skipping: `reset: true` in the Socket.IO ack and the plain WebSocket
 * `subscribed`, `event: reset` first on SSE, `onReset` in the typed client.
 */
describe('resets on every transport', () => {
  const stack = new E2eStack({ gateways: 1, env: { JOB_LOG_MAX_EVENTS: '50' } });
  let token: string;
  let trimmed: JobSnapshot;
  /** Everything the trimmed job's log still holds. */
  let held: JobEvent[];
  const sockets: RawSocket[] = [];
  const plains: PlainClient[] = [];

  async function socketAck(afterSeq: number) {
    const socket = openSocket(stack.url(0), token);
    sockets.push(socket);
    await connected(socket);
    return new EventCollector(socket, trimmed.id).subscribe(afterSeq);
  }

  async function plainAnswer(afterSeq: number) {
    const client = await openPlain(stack.url(0), token);
    plains.push(client);
    client.send({ type: 'subscribe', id: 'r', jobId: trimmed.id, afterSeq });
    return client.answer('r');
  }

  beforeAll(async () => {
    await stack.start();
    token = await signToken('alice');
    const job = await submitJob(stack.url(0), token, {
      type: 'demo.steps',
      payload: { steps: 300, intervalMs: 0, log: true },
    });
    trimmed = await waitForEnd(stack.url(0), token, job.id);
    const whole = await socketAck(0);
    if (!whole.ok) throw new Error('late join failed');
    held = whole.events;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    for (const client of plains) client.close();
    await stack.stop();
  });

  it('a late join of a trimmed log is a reset too: the log cannot give everything after seq 0', async () => {
    expect(held.length).toBeLessThan(trimmed.lastSeq);
    expect(held.at(-1)?.seq).toBe(trimmed.lastSeq);
    expect(await plainAnswer(0)).toMatchObject({ reset: true, events: held });
  });

  it('resuming from a seq the log no longer holds: reset, with everything the log still holds', async () => {
    const ack = await socketAck(2);
    expect(ack).toMatchObject({ ok: true, reset: true });
    expect(ack.ok && seqs(ack.events)).toEqual(seqs(held));
    expect(await plainAnswer(2)).toMatchObject({ type: 'subscribed', reset: true, events: held });

    const sse = await request<string>(`${stack.url(0)}/jobs/${trimmed.id}/events?afterSeq=2`, { token });
    const frames = sse.body.split('\n\n').filter((frame) => frame.includes('data: '));
    expect(frames[0]?.split('\n').slice(0, 1)).toEqual(['event: reset']);
    expect((JSON.parse(frames[0]?.split('data: ')[1] ?? '') as JobSnapshot).lastSeq).toBe(trimmed.lastSeq);
    expect(frames.slice(1).map((frame) => Number(/^id: (\d+)/m.exec(frame)?.[1]))).toEqual(seqs(held));
  });

  it("resuming from past the job's last seq (Redis behind the client): reset, with the whole log", async () => {
    const ahead = trimmed.lastSeq + 100;
    const ack = await socketAck(ahead);
    expect(ack).toMatchObject({ ok: true, reset: true });
    expect(ack.ok && seqs(ack.events)).toEqual(seqs(held));
    expect(await plainAnswer(ahead)).toMatchObject({ reset: true, events: held });
    const sse = await request<string>(`${stack.url(0)}/jobs/${trimmed.id}/events`, {
      token,
      headers: { 'last-event-id': String(ahead) },
    });
    expect(sse.body).toContain('event: reset\n');
  });

  it('resuming inside what the log holds is no reset', async () => {
    const afterSeq = (held[0] as JobEvent).seq;
    expect(await socketAck(afterSeq)).not.toHaveProperty('reset');
    expect(await plainAnswer(afterSeq)).not.toHaveProperty('reset');
    const sse = await request<string>(`${stack.url(0)}/jobs/${trimmed.id}/events?afterSeq=${afterSeq}`, { token });
    expect(sse.body).not.toContain('event: reset');
  });

  it('the typed client reports it with onReset and goes on to the terminal event', async () => {
    const client = connect({ urls: [stack.url(0)], token });
    const watch = client.watch(trimmed.id, { afterSeq: 2 });
    const resets: JobSnapshot[] = [];
    watch.onReset((snapshot) => resets.push(snapshot));
    const delivered: number[] = [];
    watch.onEvent((event) => delivered.push(event.seq));
    expect((await watch.done).type).toBe('completed');
    client.close();
    expect(resets.map((snapshot) => snapshot.lastSeq)).toEqual([trimmed.lastSeq]);
    expect(delivered).toEqual(seqs(held));
  });
});
