import { connect } from '@jobcast/client';
import type { DisconnectNotice, JobEvent } from '@jobcast/contracts';
import { get, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { sleep } from '../support/eventually';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { connected, openSocket } from '../support/raw-socket';
import { MIB, rssBytes } from '../support/processes';
import { stopReading } from '../support/stalled-reader';
import { expectCompleteSequence } from '../support/watchers';

interface OpenedStream {
  status: number;
  body: string;
  response: IncomingMessage;
  /** Resolves once the gateway has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens an SSE stream with a connection of its own, and keeps reading it. */
function openStream(baseUrl: string, jobId: string, token: string): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const request = get(`${baseUrl}/jobs/${jobId}/events`, {
      agent: false,
      headers: { authorization: `Bearer ${token}` },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const stream: OpenedStream = {
        status: response.statusCode ?? 0,
        body: '',
        response,
        ended: new Promise((ended) => response.on('end', ended)),
        close: () => response.destroy(),
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (stream.body += chunk));
      response.on('error', () => undefined);
      // Refusals are small JSON bodies: wait for them whole; a stream answers at once with its head.
      if (stream.status === 200) resolve(stream);
      else void stream.ended.then(() => resolve(stream));
    });
  });
}

const long = { type: 'demo.steps', payload: { steps: 600, intervalMs: 100 } };

/** What one ordinary account could do to a gateway, and the bound that stops each. */
describe('abuse by one account', () => {
  const stack = useE2eStack({
    gateways: 1,
    // The limits as a deployment has them, but for how fast streams may start.
    env: { SOCKET_SUBSCRIBE_RATE: '20', MAX_CONNECTIONS_PER_IP: '200', SSE_START_RATE: '1000' },
  });

  it('a socket that stops reading and asks for a 5,000-event log 20 times a second is dropped, with bounded memory', async () => {
    const alice = await signToken('alice');
    const job = await submitJob(stack.url(0), alice, {
      type: 'demo.steps',
      payload: { steps: 2500, intervalMs: 0, log: true },
    });
    const end = await waitForEnd(stack.url(0), alice, job.id, 60_000);
    expect(end.lastSeq).toBeGreaterThanOrEqual(5000);
    const gatewayPid = stack.stack.gateways[0]?.pid as number;

    const attacker = stack.closeAtStop(openSocket(stack.url(0), alice));
    await connected(attacker);
    const notices: DisconnectNotice[] = [];
    attacker.on('gateway:disconnect', (notice) => notices.push(notice));
    const disconnected = new Promise<void>((resolve) => attacker.once('disconnect', () => resolve()));
    const rssBefore = rssBytes(gatewayPid);
    const readAgain = stopReading(attacker);
    let peak = rssBefore;
    for (let i = 0; i < 200; i += 1) {
      attacker.emit('subscribe', { jobId: job.id }, () => undefined);
      await sleep(50);
      peak = Math.max(peak, rssBytes(gatewayPid));
    }
    // Unbounded, this grew the gateway by about 25 MB a second; bounded, it stays within one
    // connection's share (SOCKET_MAX_PENDING_EVENTS events) and the heap's own slack.
    expect(peak - rssBefore).toBeLessThan(50 * MIB);
    readAgain();
    await disconnected;
    expect(notices).toEqual([{ reason: 'SLOW_CONSUMER', message: expect.any(String) as string }]);
  });

  it('counts SSE streams with sockets against MAX_CONNECTIONS_PER_IP: the 201st answers 429 TOO_MANY_CONNECTIONS', async () => {
    const alice = await signToken('alice');
    const users = await Promise.all(['sse-a', 'sse-b', 'sse-c', 'sse-d'].map((sub) => signToken(sub)));
    const opened: OpenedStream[] = [];
    // SSE_MAX_STREAMS_PER_USER is 100: four users of 50 streams each, from one address.
    for (const token of users) {
      const job = await submitJob(stack.url(0), token, long);
      opened.push(...(await Promise.all(Array.from({ length: 50 }, () => openStream(stack.url(0), job.id, token)))));
    }
    for (const stream of opened) stack.closeAtStop(stream);
    expect(opened.map((stream) => stream.status)).toEqual(Array.from({ length: 200 }, () => 200));
    const job = await submitJob(stack.url(0), alice, long);
    const refused = await openStream(stack.url(0), job.id, alice);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'TOO_MANY_CONNECTIONS' } });
    // A Socket.IO handshake from the same address is refused too: one count for every kind of connection.
    const handshake = await request(`${stack.url(0)}/socket.io/?EIO=4&transport=polling`);
    expect(handshake).toMatchObject({ status: 403, body: { code: 4, message: 'TOO_MANY_CONNECTIONS' } });
    stack.closeOpened();
  });
});

/** SSE's own limits, and live access that ends with the token on every transport. */
describe('streams and tokens that end', () => {
  const stack = useE2eStack({
    gateways: 2,
    env: { SSE_MAX_STREAMS_PER_USER: '3', SSE_START_RATE: '2', JWT_CLOCK_SKEW: '1s' },
  });

  async function open(jobId: string, token: string): Promise<OpenedStream> {
    return stack.closeAtStop(await openStream(stack.url(0), jobId, token));
  }

  it('limits how fast one user starts streams (429 RATE_LIMITED, Retry-After) and how many are open (429 TOO_MANY_STREAMS)', async () => {
    const bob = await signToken('bob');
    const job = await submitJob(stack.url(0), bob, long);
    // SSE_START_RATE 2: a burst of two, then one every 500 ms.
    const burst = await Promise.all([open(job.id, bob), open(job.id, bob), open(job.id, bob)]);
    expect(burst.map((stream) => stream.status).sort()).toEqual([200, 200, 429]);
    const limited = burst.find((stream) => stream.status === 429) as OpenedStream;
    expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(limited.response.headers['retry-after']).toBe('1');
    await sleep(1000);
    expect((await open(job.id, bob)).status).toBe(200);
    await sleep(1000);
    // SSE_MAX_STREAMS_PER_USER 3.
    const fourth = await open(job.id, bob);
    expect(fourth.status).toBe(429);
    expect(JSON.parse(fourth.body)).toMatchObject({ error: { code: 'TOO_MANY_STREAMS' } });
    (burst.find((stream) => stream.status === 200) as OpenedStream).close();
    await sleep(1000);
    expect((await open(job.id, bob)).status).toBe(200);
  });

  it('ends an SSE stream when its token expires (plus the skew), with a comment saying why', async () => {
    const carol = await signToken('carol');
    const job = await submitJob(stack.url(0), carol, long);
    const expiresAtS = Math.floor(Date.now() / 1000) + 2;
    const stream = await open(job.id, await signToken('carol', { expiresIn: expiresAtS }));
    expect(stream.status).toBe(200);
    await stream.ended;
    expect(Date.now()).toBeLessThan((expiresAtS + 1 + 1.5) * 1000);
    expect(stream.body).toMatch(/: the token has expired; reconnect with a fresh one\n\n$/);
  });

  it('the typed client reconnects with a fresh token from its token function at every expiry, and misses nothing', async () => {
    const dave = await signToken('dave');
    for (const transport of ['socket.io', 'websocket'] as const) {
      const job = await submitJob(stack.url(0), dave, { type: 'demo.steps', payload: { steps: 60, intervalMs: 100 } });
      let tokensIssued = 0;
      const notices: string[] = [];
      const client = connect({
        urls: [stack.url(0), stack.url(1)],
        transport,
        reconnectDelayMs: 50,
        // Each token lives two seconds: the watch outlives several.
        token: () => {
          tokensIssued += 1;
          return signToken('dave', { expiresIn: Math.floor(Date.now() / 1000) + 2 });
        },
      });
      client.onState((_state, _url, notice) => {
        if (notice) notices.push(notice.reason);
      });
      const watch = client.watch(job.id);
      const events: JobEvent[] = [];
      watch.onEvent((event) => events.push(event));
      await watch.done;
      client.close();
      expectCompleteSequence(events);
      expect(notices.length).toBeGreaterThanOrEqual(1);
      expect(new Set(notices)).toEqual(new Set(['TOKEN_EXPIRED']));
      expect(tokensIssued).toBe(notices.length + 1);
    }
  });
});
