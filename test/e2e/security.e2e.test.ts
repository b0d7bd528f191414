import type { DisconnectNotice } from '@jobcast/contracts';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, importPKCS8 } from 'jose';
import { appEntry, appProcess, freePort } from '@jobcast/local-stack';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubscribeAck } from '@jobcast/contracts';
import { sleep } from '../support/eventually';
import { E2eStack, TEST_JWT_SECRET, useE2eStack } from '../support/e2e-stack';
import { request, submitJob } from '../support/http-api';
import {
  connectError,
  connected,
  emitWithAck,
  handshakeOutcome,
  openSocket,
  type RawSocket,
} from '../support/raw-socket';

const ISSUER = 'https://id.example.com';
const AUDIENCE = 'jobcast';
// Limits low enough to reach in a test.
const SUBSCRIBES_PER_SECOND = 5;
const MAX_CONNECTIONS_PER_IP = 12;
const LISTED_ORIGIN = 'https://app.example.com';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

interface TokenOptions {
  sub?: string;
  expiresAt?: number | null;
  issuer?: string;
  audience?: string;
}

/** Tokens as an identity provider would sign them, and as an attacker might forge them. */
const tokens = {
  async hs256(options: TokenOptions = {}, secret: string | Uint8Array = TEST_JWT_SECRET): Promise<string> {
    return claims(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }), options).sign(
      typeof secret === 'string' ? new TextEncoder().encode(secret) : secret,
    );
  },
  async rs256(options: TokenOptions = {}): Promise<string> {
    return claims(new SignJWT({}).setProtectedHeader({ alg: 'RS256' }), options).sign(
      await importPKCS8(privatePem, 'RS256'),
    );
  },
  unsigned(options: TokenOptions = {}): string {
    return claims(new UnsecuredJWT({}), options).encode();
  },
};

function claims<T extends SignJWT | UnsecuredJWT>(jwt: T, options: TokenOptions): T {
  jwt
    .setSubject(options.sub ?? 'alice')
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE);
  const expiresAt = options.expiresAt === undefined ? Math.floor(Date.now() / 1000) + 3600 : options.expiresAt;
  if (expiresAt !== null) jwt.setExpirationTime(expiresAt);
  return jwt;
}

describe('secure by default', () => {
  const stack = useE2eStack({
    gateways: 1,
    env: {
      JWT_PUBLIC_KEY: publicPem,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      // Whole seconds (jose compares `exp` in seconds), wide enough that a tick between signing and checking is harmless.
      JWT_CLOCK_SKEW: '5s',
      CORS_ORIGINS: LISTED_ORIGIN,
      SUBMIT_RATE_PER_MINUTE: '5',
      SOCKET_SUBSCRIBE_RATE: String(SUBSCRIBES_PER_SECOND),
      SOCKET_MAX_SUBSCRIPTIONS: '3',
      MAX_CONNECTIONS_PER_IP: String(MAX_CONNECTIONS_PER_IP),
      SOCKET_MAX_MESSAGE: '2kb',
    },
  });
  const socket = (token: unknown, options: Parameters<typeof openSocket>[2] = {}): RawSocket =>
    stack.closeAtStop(openSocket(stack.url(0), token, options));

  it('refuses a Socket.IO handshake from an unlisted Origin, over websocket and polling', async () => {
    const token = await tokens.hs256();
    // Engine.IO answers a refused upgrade with 400 and its reason in a body the client does not show, a refused
    // long-poll with 403 and the reason.
    const refusals = { websocket: { status: 400 }, polling: { status: 403, message: 'FORBIDDEN_ORIGIN' } };
    for (const [transport, refusal] of Object.entries(refusals)) {
      const transports = [transport];
      const foreign = socket(token, { transports, extraHeaders: { origin: 'https://evil.example' } });
      expect(await handshakeOutcome(foreign)).toEqual(refusal);
      const listed = socket(token, { transports, extraHeaders: { origin: LISTED_ORIGIN } });
      expect(await handshakeOutcome(listed)).toBe('connected');
      listed.disconnect();
      // X-Forwarded-Host says where a page came from only behind a proxy of ours (TRUST_PROXY); here anyone can
      // send it, to pass a foreign page off as same-origin.
      const forged = socket(token, {
        transports,
        extraHeaders: { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' },
      });
      expect(await handshakeOutcome(forged)).toEqual(refusal);
    }
    const handshake = await fetch(`${stack.url(0)}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(handshake.status).toBe(403);
    expect(await handshake.json()).toMatchObject({ message: 'FORBIDDEN_ORIGIN' });
  });

  it('answers CORS only for listed origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.url(0)}/jobs`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    expect((await preflight(LISTED_ORIGIN)).headers.get('access-control-allow-origin')).toBe(LISTED_ORIGIN);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('pins the algorithm, requires exp, checks iss and aud, and allows a small clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const accepted = [await tokens.rs256(), await tokens.hs256(), await tokens.rs256({ expiresAt: now - 2 })];
    const refused = [
      tokens.unsigned(),
      // HS/RS confusion: the public key, which anyone may have, used as an HMAC secret.
      await tokens.hs256({}, new TextEncoder().encode(publicPem)),
      await tokens.rs256({ expiresAt: null }),
      await tokens.rs256({ expiresAt: now - 60 }),
      await tokens.rs256({ issuer: 'https://evil.example' }),
      await tokens.rs256({ audience: 'someone-else' }),
    ];
    for (const token of accepted) expect((await request(`${stack.url(0)}/jobs`, { token })).status).toBe(200);
    for (const token of refused) {
      expect((await request(`${stack.url(0)}/jobs`, { token })).body).toMatchObject({
        error: { code: 'UNAUTHORIZED' },
      });
      expect(await connectError(socket(token))).toBe('UNAUTHORIZED');
    }
  });

  it('ends a socket when its token expires (plus the skew), with a TOKEN_EXPIRED notice', async () => {
    const alice = await tokens.rs256();
    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 200, intervalMs: 50 } });
    // Expired 4 s ago: still inside the 5 s skew at the handshake, past it a second later. `exp` is in whole
    // seconds, so start at the top of one: late in a second, it would be 4.9 s ago, and the subscribe below
    // could come past the skew already.
    await sleep(1000 - (Date.now() % 1000));
    const expiresAtS = Math.floor(Date.now() / 1000) - 4;
    const shortLived = socket(await tokens.rs256({ expiresAt: expiresAtS }));
    const notices: DisconnectNotice[] = [];
    shortLived.on('gateway:disconnect', (notice) => notices.push(notice));
    const disconnected = new Promise<string>((resolve) => shortLived.once('disconnect', resolve));
    await connected(shortLived);
    expect(await emitWithAck(shortLived, 'subscribe', { jobId: job.id })).toMatchObject({ ok: true });
    expect(await disconnected).toBe('io server disconnect');
    // The skew is 5 s and the gateway checks once a second.
    expect(Date.now()).toBeLessThan((expiresAtS + 5 + 1.5) * 1000);
    expect(notices).toEqual([{ reason: 'TOKEN_EXPIRED', message: expect.stringContaining('expired') as string }]);
  });

  it('limits submissions per user per minute with 429 and Retry-After', async () => {
    const carol = await tokens.rs256({ sub: 'carol' });
    const answers = [];
    for (let i = 0; i < 7; i += 1) {
      answers.push(
        await request(`${stack.url(0)}/jobs`, {
          token: carol,
          body: { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } },
        }),
      );
    }
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const limited = answers[5];
    expect(limited?.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    const retryAfter = Number(limited?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another user is not affected.
    expect(
      (
        await request(`${stack.url(0)}/jobs`, {
          token: await tokens.rs256({ sub: 'dave' }),
          body: { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } },
        })
      ).status,
    ).toBe(202);
  });

  it('limits subscribes per second and subscriptions per socket, with codes', async () => {
    const erin = await tokens.rs256({ sub: 'erin' });
    // Running jobs, since a finished job's subscription ends by itself and frees its place.
    const running = await Promise.all(
      [1, 2, 3, 4].map(() =>
        submitJob(stack.url(0), erin, { type: 'demo.steps', payload: { steps: 50, intervalMs: 100 } }),
      ),
    );
    const capped = socket(erin);
    await connected(capped);
    const capAcks = [];
    for (const job of running) capAcks.push(await emitWithAck(capped, 'subscribe', { jobId: job.id }));
    expect(capAcks.map((ack) => (ack.ok ? 'ok' : ack.error.code))).toEqual([
      'ok',
      'ok',
      'ok',
      'TOO_MANY_SUBSCRIPTIONS',
    ]);
    // A burst of twice the rate from a fresh socket, checked within a tick: the first SUBSCRIBES_PER_SECOND
    // pass the limit (it allows one second's worth at once), the rest are refused. Those that pass may replace
    // one another (SUBSCRIPTION_CLOSED), as subscribes to one job do.
    const fresh = socket(erin);
    await connected(fresh);
    const burst = await Promise.all(
      Array.from({ length: 2 * SUBSCRIBES_PER_SECOND }, () =>
        emitWithAck(fresh, 'subscribe', { jobId: running[0]?.id }),
      ),
    );
    const outcome = (ack: SubscribeAck) => (ack.ok ? 'ok' : ack.error.code);
    expect(
      burst.map((ack) => (['ok', 'SUBSCRIPTION_CLOSED'].includes(outcome(ack)) ? 'passed' : outcome(ack))),
    ).toEqual([
      ...Array<string>(SUBSCRIBES_PER_SECOND).fill('passed'),
      ...Array<string>(SUBSCRIBES_PER_SECOND).fill('RATE_LIMITED'),
    ]);
  });

  it('limits connections per IP, drops oversized socket messages, and stays up', async () => {
    const token = await tokens.rs256({ sub: 'frank' });
    // Only this test's sockets count: the limit recounts open connections at most every 100 ms.
    stack.closeOpened();
    await sleep(300);
    // Long-polling, whose refusals show their reason.
    const many = Array.from({ length: MAX_CONNECTIONS_PER_IP + 2 }, () => socket(token, { transports: ['polling'] }));
    const outcomes = await Promise.all(many.map(handshakeOutcome));
    expect(outcomes.filter((outcome) => outcome === 'connected')).toHaveLength(MAX_CONNECTIONS_PER_IP);
    expect(outcomes.filter((outcome) => outcome !== 'connected')).toEqual([
      { status: 403, message: 'TOO_MANY_CONNECTIONS' },
      { status: 403, message: 'TOO_MANY_CONNECTIONS' },
    ]);
    for (const s of many) s.disconnect();
    await sleep(300);
    const big = socket(token);
    await connected(big);
    const dropped = new Promise<string>((resolve) => big.once('disconnect', resolve));
    (big as unknown as { emit(event: string, body: unknown): void }).emit('subscribe', { jobId: 'x'.repeat(10_000) });
    expect(await dropped).toBe('transport close');
    expect((await request(`${stack.url(0)}/healthz`)).status).toBe(200);
  });

  it('sends security headers and leaks no internals', async () => {
    const answer = await request(`${stack.url(0)}/jobs/../../etc/passwd`);
    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.js|node_modules|Error:/);
    const tooDeep = await request(`${stack.url(0)}/jobs`, {
      token: await tokens.rs256({ sub: 'gina' }),
      body: { type: 'demo.steps', payload: JSON.parse('{"a":'.repeat(20) + '1' + '}'.repeat(20)) as unknown },
    });
    expect(tooDeep).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });
});

describe('dev mode stays local', () => {
  // A dev gateway (E2eStack turns DEV_TOKENS on) next to one that does not serve dev tokens, same secret.
  const stack = new E2eStack({ gateways: 1, env: { JWT_AUDIENCE: AUDIENCE } });
  let production: ReturnType<typeof appProcess> | undefined;
  let productionUrl = '';

  beforeAll(async () => {
    await stack.start();
    const port = await freePort();
    productionUrl = `http://127.0.0.1:${port}`;
    production = appProcess({
      app: 'gateway',
      name: 'gateway-without-dev-tokens',
      env: { ...stack.stack.env, PORT: String(port), GATEWAY_ID: 'gateway-without-dev-tokens', DEV_TOKENS: '0' },
      logDir: stack.stack.logDir,
    });
    await production.start();
  });
  afterAll(async () => {
    await production?.dispose();
    await stack.stop();
  });

  it('listens on 127.0.0.1 only when DEV_TOKENS is on and HOST is not set', async () => {
    const port = Number(new URL(stack.url(0)).port);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
    const reachable = (host: string) =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, host);
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    expect(await reachable('127.0.0.1')).toBe(true);
    // A machine with no other interface cannot show the difference; every CI machine has one.
    if (outside) expect(await reachable(outside)).toBe(false);
  });

  it('gives dev tokens their own audience, which a gateway without DEV_TOKENS refuses', async () => {
    const { body } = await request<{ token: string }>(`${stack.url(0)}/auth/dev-token`, { body: { sub: 'alice' } });
    expect((await request(`${stack.url(0)}/jobs`, { token: body.token })).status).toBe(200);
    expect((await request(`${productionUrl}/jobs`, { token: body.token })).body).toMatchObject({
      error: { code: 'UNAUTHORIZED' },
    });
    const issued = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect((await request(`${productionUrl}/jobs`, { token: issued })).status).toBe(200);
    expect((await request(`${stack.url(0)}/jobs`, { token: issued })).status).toBe(200);
  });
});

describe('configuration is checked at boot', () => {
  function startGateway(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [appEntry('gateway')], {
        env: { PATH: process.env.PATH, PORT: '0', ...env },
      });
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  it('refuses dev tokens in production, a missing secret and a bad port, naming each variable', async () => {
    const production = await startGateway({ NODE_ENV: 'production', DEV_TOKENS: '1', JWT_SECRET: TEST_JWT_SECRET });
    expect(production.code).toBe(1);
    expect(production.output).toContain('DEV_TOKENS: cannot be on when NODE_ENV=production');
    const bare = await startGateway({});
    expect(bare.code).toBe(1);
    expect(bare.output).toContain('JWT_SECRET: set JWT_SECRET or JWT_PUBLIC_KEY');
    const badPort = await startGateway({ PORT: 'eighty', JWT_SECRET: TEST_JWT_SECRET });
    expect(badPort.code).toBe(1);
    expect(badPort.output).toMatch(/PORT: .+/);
  });
});
