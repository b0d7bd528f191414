import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '../support/eventually';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { submitJob, waitForEnd } from '../support/http-api';
import { PlainClient, openPlain, refusal, type PlainMessage } from '../support/plain-websocket';
import { connected, openSocket } from '../support/raw-socket';
import { expectCompleteSequence } from '../support/watchers';

/**
 * `GET /ws` as docs/protocol.md ("Plain WebSocket") describes it, driven by a bare `ws` client that knows only the
 * protocol: the handshake and its refusals, both ways to authenticate, every message and its answer, errors
 * that leave the socket usable, close codes, and the guarantees Socket.IO watchers have.
 */
const HEARTBEAT_MS = 1000;

describe('plain WebSocket (GET /ws, jobcast.v1)', () => {
  const stack = useE2eStack({
    gateways: 2,
    env: { WS_AUTH_TIMEOUT: '1s', WS_HEARTBEAT: `${HEARTBEAT_MS}ms` },
  });
  let alice: string;
  const plain = (gateway = 0, options: ConstructorParameters<typeof PlainClient>[1] = {}): PlainClient =>
    stack.closeAtStop(new PlainClient(stack.url(gateway), options));
  const authed = async (gateway = 0, token = alice): Promise<PlainClient> =>
    stack.closeAtStop(await openPlain(stack.url(gateway), token));

  beforeAll(async () => {
    alice = await signToken('alice');
  });

  it('selects jobcast.v1, speaks v1 to a client that offers no subprotocol, and refuses one offering only others', async () => {
    const offered = plain(0);
    await offered.opened;
    expect(offered.socket.protocol).toBe('jobcast.v1');
    const none = plain(0, { protocols: [] });
    expect((await none.auth(alice)).type).toBe('welcome');
    expect(await refusal(plain(0, { protocols: ['mqtt', 'jobcast.v2'] }))).toEqual({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: expect.any(String) as string } },
    });
  });

  it('authenticates by header with an immediate welcome, and refuses a bad header before the upgrade with 401', async () => {
    const byHeader = plain(1, { headerToken: alice });
    const welcome = await byHeader.next((message) => message.type === 'welcome');
    expect(welcome).toEqual({ type: 'welcome', gateway: expect.any(String) as string, heartbeatMs: HEARTBEAT_MS });
    expect(await refusal(plain(0, { headerToken: 'not-a-jwt' }))).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED' } },
    });
  });

  it('answers requests before auth with UNAUTHORIZED and keeps waiting; a bad token gets 4401, no token in time 4408', async () => {
    const early = plain(0);
    await early.opened;
    early.send({ type: 'ping', id: 'p0' });
    expect(await early.answer('p0')).toMatchObject({ type: 'error', id: 'p0', error: { code: 'UNAUTHORIZED' } });
    expect((await early.auth(alice)).type).toBe('welcome');
    early.send({ type: 'ping', id: 'p1' });
    expect(await early.answer('p1')).toEqual({ type: 'pong', id: 'p1' });

    const bad = plain(0);
    expect(
      await bad.auth(await signToken('alice', { secret: 'another-secret-0123456789abcdef0123456789' })),
    ).toMatchObject({
      type: 'error',
      error: { code: 'UNAUTHORIZED' },
    });
    expect(await bad.closed).toBe(4401);
    expect(bad.messages.at(-1)).toEqual({
      type: 'disconnect',
      reason: 'UNAUTHORIZED',
      message: expect.any(String) as string,
    });

    const silent = plain(1);
    expect(await silent.closed).toBe(4408);
    expect(silent.messages).toEqual([
      { type: 'disconnect', reason: 'AUTH_TIMEOUT', message: expect.any(String) as string },
    ]);
  });

  it('accepts requests sent right behind auth, before the welcome, and answers them in order', async () => {
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 2, intervalMs: 10 } });
    const eager = plain(0);
    await eager.opened;
    eager.send({ type: 'auth', token: alice });
    eager.send({ type: 'subscribe', id: 's', jobId: job.id });
    await eager.answer('s');
    expect(eager.messages.map((message) => message.type).slice(0, 2)).toEqual(['welcome', 'subscribed']);
    expectCompleteSequence(await eager.eventsUntil(job.id));
  });

  it('answers requests sent behind two auths in order, each auth checked in its turn', async () => {
    const eager = plain(1);
    await eager.opened;
    eager.send({ type: 'auth', token: alice });
    eager.send({ type: 'ping', id: 'a' });
    eager.send({ type: 'auth', token: alice });
    eager.send({ type: 'ping', id: 'b' });
    await eager.answer('b');
    expect(eager.messages.map((message) => [message.type, message.id])).toEqual([
      ['welcome', undefined],
      ['pong', 'a'],
      ['welcome', undefined],
      ['pong', 'b'],
    ]);
  });

  it('streams snapshot, backlog and live events, identical on both gateways, then ends the subscription by itself', async () => {
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 30, intervalMs: 20 } });
    const watchers = [await authed(0), await authed(1)];
    for (const [index, watcher] of watchers.entries()) {
      watcher.send({ type: 'subscribe', id: `sub-${index}`, jobId: job.id });
      const subscribed = await watcher.answer(`sub-${index}`);
      expect(subscribed).toMatchObject({ type: 'subscribed', id: `sub-${index}`, jobId: job.id });
      expect((subscribed.snapshot as JobSnapshot).id).toBe(job.id);
    }
    const [first, second] = await Promise.all(watchers.map((watcher) => watcher.eventsUntil(job.id)));
    expectCompleteSequence(first as JobEvent[]);
    expect(second).toEqual(first);
    for (const watcher of watchers) {
      const live = watcher.messages.filter((message) => message.type === 'events');
      expect(live.length).toBeGreaterThan(0);
      for (const message of live) expect(Object.keys(message).sort()).toEqual(['events', 'jobId', 'type']);
    }
    // Late join, after the end: the snapshot and the whole log.
    const late = await authed(1);
    late.send({ type: 'subscribe', id: 'late', jobId: job.id });
    const answer = await late.answer('late');
    expect((answer.snapshot as JobSnapshot).status).toBe('completed');
    expectCompleteSequence(answer.events as JobEvent[]);
    // The subscription ended with the job: unsubscribing answers all the same.
    late.send({ type: 'unsubscribe', id: 'u', jobId: job.id });
    expect(await late.answer('u')).toEqual({ type: 'unsubscribed', id: 'u', jobId: job.id });
  });

  it('answers every malformed or refused request with a coded error and keeps the socket usable', async () => {
    const bob = await signToken('bob');
    const job = await submitJob(stack.url(0), bob, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
    const client = await authed(0);
    const errors: Array<[unknown, string, Partial<PlainMessage>]> = [
      ['not json', 'VALIDATION_FAILED', {}],
      ['[1,2]', 'VALIDATION_FAILED', {}],
      ['"text"', 'VALIDATION_FAILED', {}],
      [{ type: 'launch', id: 'a' }, 'VALIDATION_FAILED', { id: 'a' }],
      [{ type: 'subscribe', id: 'b', jobId: '../etc' }, 'VALIDATION_FAILED', { id: 'b' }],
      [{ type: 'subscribe', id: 'c', jobId: job.id, afterSeq: -1 }, 'VALIDATION_FAILED', { id: 'c' }],
      [{ type: 'subscribe', id: 'd', jobId: job.id, extra: 1 }, 'VALIDATION_FAILED', { id: 'd' }],
      [{ type: 'ping', id: 7 }, 'VALIDATION_FAILED', {}],
      [{ type: 'ping', id: 'x'.repeat(65) }, 'VALIDATION_FAILED', {}],
      [{ type: 'subscribe', id: 'e', jobId: job.id }, 'JOB_NOT_FOUND', { id: 'e', jobId: job.id }],
      [{ type: 'subscribe', id: 'f', jobId: 'no-such-job' }, 'JOB_NOT_FOUND', { id: 'f', jobId: 'no-such-job' }],
    ];
    for (const [frame, code, echoed] of errors) {
      const from = client.messages.length;
      client.send(frame);
      const answer = await client.next(() => true, 10_000, from);
      expect(answer, JSON.stringify(frame)).toMatchObject({ type: 'error', ...echoed, error: { code } });
      if (!('id' in echoed)) expect(answer).not.toHaveProperty('id');
    }
    const beforeBinary = client.messages.length;
    client.socket.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect(await client.next(() => true, 10_000, beforeBinary)).toEqual({
      type: 'error',
      error: { code: 'VALIDATION_FAILED', message: 'Frames must be text frames holding a JSON object' },
    });
    client.send({ type: 'ping', id: 'still-here' });
    expect(await client.answer('still-here')).toEqual({ type: 'pong', id: 'still-here' });
    client.send({ type: 'ping' });
    expect(await client.next((message) => message.type === 'pong' && !('id' in message))).toEqual({ type: 'pong' });
  });

  it('closes with 1009 on a message over SOCKET_MAX_MESSAGE', async () => {
    const client = await authed(0);
    client.send({ type: 'ping', id: 'x', padding: 'x'.repeat(17 * 1024) });
    expect(await client.closed).toBe(1009);
  });

  it('pings every heartbeatMs and closes a peer that stops answering', async () => {
    const client = await authed(0);
    const pingedAt: number[] = [];
    client.socket.on('ping', () => pingedAt.push(Date.now()));
    await eventually('three pings', () => pingedAt.length >= 3, 5 * HEARTBEAT_MS);
    // A timer never fires early; on a busy machine it may fire late.
    for (const [i, at] of pingedAt.slice(1).entries()) {
      expect(at - (pingedAt[i] ?? 0)).toBeGreaterThanOrEqual(HEARTBEAT_MS - 20);
      expect(at - (pingedAt[i] ?? 0)).toBeLessThan(HEARTBEAT_MS + 500);
    }
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    // A peer whose pongs stop: ws answers pings by itself, so stop it reading at all.
    const deaf = await authed(0);
    const tcp = (deaf.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    await sleep(4500);
    tcp.resume();
    // Cut off without a close frame: the gateway gave up on it rather than closing it politely.
    expect(await deaf.closed).toBe(1006);
  });

  it('leaves Socket.IO working beside it, on the same port', async () => {
    const socket = openSocket(stack.url(0), alice);
    await connected(socket);
    socket.disconnect();
    const job = await submitJob(stack.url(1), alice, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
    await waitForEnd(stack.url(1), alice, job.id);
  });
});
