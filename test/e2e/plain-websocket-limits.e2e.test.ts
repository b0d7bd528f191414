import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eStack, signToken } from '../support/e2e-stack';
import { submitJob } from '../support/http-api';
import { PlainClient, openPlain, refusal } from '../support/plain-websocket';
import { connectError, connected, openSocket, type RawSocket } from '../support/raw-socket';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LISTED_ORIGIN = 'https://app.example';

/** Socket.IO's limits, on plain WebSockets: Origin, connections per IP (both kinds together), token expiry, subscribes. */
describe('plain WebSocket limits', () => {
  const stack = new E2eStack({
    gateways: 1,
    workers: 1,
    env: {
      CORS_ORIGINS: LISTED_ORIGIN,
      MAX_CONNECTIONS_PER_IP: '6',
      SOCKET_SUBSCRIBE_RATE: '5',
      SOCKET_MAX_SUBSCRIPTIONS: '3',
      JWT_CLOCK_SKEW: '1s',
    },
  });
  let alice: string;
  const plains: PlainClient[] = [];
  const sockets: RawSocket[] = [];
  const plain = (options: ConstructorParameters<typeof PlainClient>[1] = {}): PlainClient => {
    const client = new PlainClient(stack.url(0), options);
    plains.push(client);
    return client;
  };
  const closeAll = async (): Promise<void> => {
    for (const client of plains.splice(0)) client.close();
    for (const socket of sockets.splice(0)) socket.disconnect();
    // The limit recounts open connections at most every 100 ms.
    await sleep(300);
  };

  beforeAll(async () => {
    await stack.start();
    alice = await signToken('alice');
  });

  afterAll(async () => {
    await closeAll();
    await stack.stop();
  });

  it("refuses an Origin that is neither the gateway's own nor listed, with 403 before the upgrade", async () => {
    expect(await refusal(plain({ headers: { origin: 'https://evil.example' } }))).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN_ORIGIN', message: expect.any(String) as string } },
    });
    await plain({ headers: { origin: LISTED_ORIGIN } }).opened;
    await plain({ headers: { origin: stack.url(0) } }).opened;
    await closeAll();
  });

  it('counts Socket.IO and plain WebSocket connections together against MAX_CONNECTIONS_PER_IP', async () => {
    for (let i = 0; i < 3; i += 1) {
      const socket = openSocket(stack.url(0), alice);
      sockets.push(socket);
      await connected(socket);
      await plain().opened;
    }
    expect(await refusal(plain())).toEqual({
      status: 429,
      body: { error: { code: 'TOO_MANY_CONNECTIONS', message: expect.any(String) as string } },
    });
    const extra = openSocket(stack.url(0), alice);
    sockets.push(extra);
    expect(await connectError(extra)).toBeTruthy();
    (plains.shift() as PlainClient).close();
    await sleep(300);
    await plain().opened;
    await closeAll();
  });

  it('limits subscribes per second and subscriptions per socket, with coded errors on an open socket', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 4 }, () =>
        submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 200, intervalMs: 100 } }),
      ),
    );
    const client = await openPlain(stack.url(0), alice);
    plains.push(client);
    for (const [index, job] of jobs.entries()) client.send({ type: 'subscribe', id: `s${index}`, jobId: job.id });
    expect((await client.answer('s3')).error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    for (let i = 0; i < 10; i += 1) client.send({ type: 'subscribe', id: `burst${i}`, jobId: jobs[0]?.id });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => client.answer(`burst${i}`)));
    expect(
      answers.filter((answer) => (answer.error as { code?: string })?.code === 'RATE_LIMITED').length,
    ).toBeGreaterThanOrEqual(4);
    client.send({ type: 'ping', id: 'alive' });
    expect(await client.answer('alive')).toEqual({ type: 'pong', id: 'alive' });
    await closeAll();
  });

  it('closes a socket at its token expiry plus the skew (TOKEN_EXPIRED, 4401) unless a fresh token came by auth', async () => {
    const expiresAtS = Math.floor(Date.now() / 1000) + 2;
    const expiring = await openPlain(stack.url(0), await signToken('alice', { expiresIn: expiresAtS }));
    const renewed = await openPlain(stack.url(0), await signToken('alice', { expiresIn: expiresAtS }));
    plains.push(expiring, renewed);
    expect((await renewed.auth(alice)).type).toBe('welcome');
    expect(await expiring.closed).toBe(4401);
    // JWT_CLOCK_SKEW is 1 s, and the gateway checks once a second.
    expect(Date.now()).toBeLessThan((expiresAtS + 1 + 1.5) * 1000);
    expect(expiring.messages.at(-1)).toEqual({
      type: 'disconnect',
      reason: 'TOKEN_EXPIRED',
      message: expect.stringContaining('expired') as string,
    });
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
    renewed.send({ type: 'subscribe', id: 'after', jobId: job.id });
    expect((await renewed.answer('after')).type).toBe('subscribed');
    // A token of someone else is not a renewal: 4401.
    await renewed.auth(await signToken('bob'));
    expect(await renewed.closed).toBe(4401);
    await closeAll();
  });
});
