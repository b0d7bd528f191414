import { beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/eventually';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { submitJob } from '../support/http-api';
import { PlainClient, openPlain, refusal, type PlainMessage } from '../support/plain-websocket';
import { connected, handshakeOutcome, openSocket } from '../support/raw-socket';

const LISTED_ORIGIN = 'https://app.example';
// Limits low enough to reach in a test.
const MAX_CONNECTIONS_PER_IP = 6;
const SUBSCRIBES_PER_SECOND = 5;
const MAX_SUBSCRIPTIONS = 3;

/** Socket.IO's limits, on plain WebSockets: Origin, connections per IP (both kinds together), token expiry, subscribes. */
describe('plain WebSocket limits', () => {
  const stack = useE2eStack({
    gateways: 1,
    env: {
      CORS_ORIGINS: LISTED_ORIGIN,
      MAX_CONNECTIONS_PER_IP: String(MAX_CONNECTIONS_PER_IP),
      SOCKET_SUBSCRIBE_RATE: String(SUBSCRIBES_PER_SECOND),
      SOCKET_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS),
      JWT_CLOCK_SKEW: '1s',
    },
  });
  let alice: string;
  const plain = (options: ConstructorParameters<typeof PlainClient>[1] = {}): PlainClient =>
    stack.closeAtStop(new PlainClient(stack.url(0), options));
  const closeAll = async (): Promise<void> => {
    stack.closeOpened();
    // The limit recounts open connections at most every 100 ms.
    await sleep(300);
  };

  beforeAll(async () => {
    alice = await signToken('alice');
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
    const plains: PlainClient[] = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_IP / 2; i += 1) {
      await connected(stack.closeAtStop(openSocket(stack.url(0), alice)));
      plains.push(plain());
      await plains.at(-1)?.opened;
    }
    expect(await refusal(plain())).toEqual({
      status: 429,
      body: { error: { code: 'TOO_MANY_CONNECTIONS', message: expect.any(String) as string } },
    });
    // Over long-polling, whose refusal shows its reason.
    const extra = stack.closeAtStop(openSocket(stack.url(0), alice, { transports: ['polling'] }));
    expect(await handshakeOutcome(extra)).toEqual({ status: 403, message: 'TOO_MANY_CONNECTIONS' });
    plains[0]?.close();
    await sleep(300);
    await plain().opened;
    await closeAll();
  });

  it('limits subscribes per second and subscriptions per socket, with coded errors on an open socket', async () => {
    const jobs = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS + 1 }, () =>
        submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 200, intervalMs: 100 } }),
      ),
    );
    const client = stack.closeAtStop(await openPlain(stack.url(0), alice));
    for (const [index, job] of jobs.entries()) client.send({ type: 'subscribe', id: `s${index}`, jobId: job.id });
    const over = `s${MAX_SUBSCRIPTIONS}`;
    expect((await client.answer(over)).error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    // A burst of twice the rate from a fresh socket, checked within a tick: the first SUBSCRIBES_PER_SECOND
    // pass the limit (it allows one second's worth at once), the rest are refused. Those that pass may replace
    // one another (SUBSCRIPTION_CLOSED), as subscribes to one job do.
    const fresh = stack.closeAtStop(await openPlain(stack.url(0), alice));
    const burst = Array.from({ length: 2 * SUBSCRIBES_PER_SECOND }, (_, i) => `burst${i}`);
    for (const id of burst) fresh.send({ type: 'subscribe', id, jobId: jobs[0]?.id });
    const answers = await Promise.all(burst.map((id) => fresh.answer(id)));
    const outcome = (answer: PlainMessage) => (answer.error as { code?: string } | undefined)?.code ?? answer.type;
    const passed = (answer: PlainMessage) => ['subscribed', 'SUBSCRIPTION_CLOSED'].includes(outcome(answer));
    expect(answers.map((answer) => (passed(answer) ? 'passed' : outcome(answer)))).toEqual([
      ...Array<string>(SUBSCRIBES_PER_SECOND).fill('passed'),
      ...Array<string>(SUBSCRIBES_PER_SECOND).fill('RATE_LIMITED'),
    ]);
    client.send({ type: 'ping', id: 'alive' });
    expect(await client.answer('alive')).toEqual({ type: 'pong', id: 'alive' });
    await closeAll();
  });

  it('closes a socket at its token expiry plus the skew (TOKEN_EXPIRED, 4401) unless a fresh token came by auth', async () => {
    const expiresAtS = Math.floor(Date.now() / 1000) + 2;
    const expiring = stack.closeAtStop(
      await openPlain(stack.url(0), await signToken('alice', { expiresIn: expiresAtS })),
    );
    const renewed = stack.closeAtStop(
      await openPlain(stack.url(0), await signToken('alice', { expiresIn: expiresAtS })),
    );
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
