import {
  ApiErrorBodySchema,
  DevTokenRequestSchema,
  ErrorCode,
  JobSnapshotSchema,
  ListJobsResponseSchema,
  SubmitJobRequestSchema,
  SubmitJobResponseSchema,
  WatchTokenSchema,
  SubscribeAckSchema,
  SubscribeRequestSchema,
  UnsubscribeAckSchema,
  UnsubscribeRequestSchema,
} from '@jobcast/contracts';
import { SHIPPED_JOB_TYPES } from '../../apps/worker/src/job-types';
import { SignJWT, UnsecuredJWT } from 'jose';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { E2eStack, TEST_JWT_SECRET, signToken } from '../support/e2e-stack';
import {
  ALPHABETS,
  NASTY_KEYS,
  NUMBER_LITERALS,
  Rng,
  brokenJsonText,
  deepJsonText,
  fuzzSeed,
  randomJsonText,
  randomJsonValue,
  randomText,
} from '../support/fuzz-inputs';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { EventCollector, connected, emitWithAck, openSocket, range, seqs, type RawSocket } from '../support/raw-socket';

/**
 * Fuzzing a running gateway: thousands of random and malformed HTTP requests, Socket.IO emits, raw
 * Engine.IO frames and plain WebSocket frames. Every answer must be a coded error or a valid success, nothing may leak a stack,
 * the process must stay up with bounded memory, and a normal client must still work afterwards.
 *
 * Inputs come from one seeded PRNG, generated before they are sent, so `FUZZ_SEED=<seed>` replays a run's
 * inputs (concurrency may still reorder them). `FUZZ_SCALE=<n>` multiplies the number of inputs.
 */
const SEED = fuzzSeed();
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const REPLAY = `seed ${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run --project e2e test/e2e/fuzz.e2e.test.ts)`;

const HTTP_CASES = 2500 * SCALE;
const HTTP_CONCURRENCY = 20;
const SOCKET_CASES = 3000 * SCALE;
const SOCKETS = 4;
const SOCKET_CONCURRENCY = 8;
const HANDSHAKES = 60;
const RAW_CONNECTIONS = 48 * SCALE;
const RAW_CONCURRENCY = 4;
const ANSWER_TIMEOUT_MS = 10_000;
const ACK_TIMEOUT_MS = 5_000;
/** SSE streams of live jobs stay open: read this long, then hang up. */
const SSE_READ_MS = 250;
/** Below the gateway's SOCKET_MAX_MESSAGE (16 KiB), with room for the packet's framing. */
const MAX_EMIT_BYTES = 14_000;
/**
 * RSS growth allowed over the whole barrage. Measured on 2 cores: the gateway holds ~130-137 MB after
 * warm-up and grows by 64-68 MB over a run (V8's heap high-water mark after parsing 40-60 KB deeply nested
 * bodies and 16 KiB frames), and by 89 MB with FUZZ_SCALE=4: it levels off instead of following the input
 * volume. 150 MB is over twice a healthy run's growth, and is what a leak proportional to the inputs, a
 * decompression bomb inflated past the body limit (10 MiB each, dozens per run) or unbounded buffering
 * of oversized frames would exceed.
 */
const RSS_GROWTH_LIMIT = 150 * 1024 * 1024;

/** `FUZZ_TRACE=<regex>` prints every HTTP case whose `kind: label` matches, with its answer. */
const TRACE = process.env.FUZZ_TRACE ? new RegExp(process.env.FUZZ_TRACE) : undefined;
/** A list written on one line, its items separated by single spaces. */
const words = (text: string): string[] => text.split(' ');
const ODD_JOB_IDS = words(
  "null undefined 0 -1 . .. ~ * % %zz %00 %20 %ff %C0%AF %E0%A4%A %F0%9F%98%80 %2e%2e ..%2f..%2fetc%2fpasswd '%20OR%201=1-- $%7Bjndi:ldap://x%7D",
);
const ODD_PATHS = words(
  '/%00 /% /? /#x // ///jobs /%E0%A4%A /%E2%82%AC /%F0%9F%98%80 /%C3%A9t%C3%A9 /..%2f..%2fetc%2fpasswd /../../etc/passwd ' +
    '/%2e%2e/%2e%2e/etc/passwd /jobs/../auth/dev-token /.env /.git/config /admin /server-status /index.html /favicon.ico ' +
    '/jobs//x /jobs/x/y/z /jobs/x/events/y /jobs/x/cancel/y /jobs%2f /jobs%00 /jobs;a=b /jobs/:id /jobs/* /jobs/(.*) /auth ' +
    '/auth/ /auth/dev-token/x /healthz/x /metrics/x /socket.io * http://evil.example/nope',
);
const ODD_TYPES = [
  'demo.steps ',
  'demo.steps\u0000',
  '',
  ...words('Demo.Steps demo hash.sha256 text.wordcount constructor __proto__'),
];
const ODD_EVENTS = [
  'subscribe ',
  'unsubscribe\u0000',
  ...words(
    'job:event SUBSCRIBE Subscribe __proto__ constructor toString hasOwnProperty disconnect_notice error ping message',
  ),
];
const ODD_CONTENT_TYPES = [
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'multipart/form-data; boundary=xyz',
  '',
  ...words('text/plain application/x-www-form-urlencoded application/merge-patch+json */*'),
];
const ENGINE_PACKETS = ['', ...words('0 1 2 2probe 3 3probe 4 5 6 7 9 x 40 41 4/ 4/jobs,')];
const RESERVED_EVENTS = words('connect disconnect disconnecting newListener removeListener connect_error');

const STACK_TRACE = /at \S+ \(|node_modules|\.ts:\d+/;
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every broken expectation, grouped by kind; each group keeps its first reproducers. */
class Problems {
  private readonly groups = new Map<string, { count: number; examples: string[] }>();

  add(kind: string, reproducer: string): void {
    const group = this.groups.get(kind) ?? { count: 0, examples: [] };
    group.count += 1;
    if (group.examples.length < 3) group.examples.push(reproducer);
    this.groups.set(kind, group);
  }

  /** One line per kind, with its count and reproducers: what the assertion prints. */
  report(): string[] {
    return [...this.groups].map(
      ([kind, { count, examples }]) => `${kind} ×${count}\n      ${examples.join('\n      ')}`,
    );
  }
}

class Tally {
  readonly counts = new Map<string, number>();

  add(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  toString(): string {
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, count]) => `${key}=${count}`)
      .join(' ');
  }
}

async function pool<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        if (item !== undefined) await run(item);
      }
    }),
  );
}

/** A short, printable view of an input or an answer for a reproducer. */
function preview(value: string | Buffer | undefined, max = 160): string {
  if (value === undefined) return '(none)';
  const text = Buffer.isBuffer(value) ? value.toString('latin1') : value;
  const shown = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${shown}…(${text.length} chars)` : shown;
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

async function gauge(baseUrl: string, name: string): Promise<number> {
  const { body } = await request<string>(`${baseUrl}/metrics`);
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(String(body));
  return Number(match?.[1] ?? Number.NaN);
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** encodeURIComponent, but lone surrogates (which it refuses) become U+FFFD, as UTF-8 encoding makes them. */
function pathEncode(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
}

/** What Node lets a client put in a header value: anything else becomes `?`. */
function headerSafe(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

// ---------------------------------------------------------------------------------------------------------
// Credentials: who a header or a token makes the caller, as the gateway must see it.

interface Credential {
  /** The Authorization header, if any. */
  header?: string;
  /** The token alone, for `?access_token=` and the Socket.IO handshake. */
  token?: string;
  /** The owner the gateway must act for, or null when it must refuse. */
  principal: string | null;
  /** Whom the token alone names (for `?access_token=` and handshakes), or null when it is not valid. */
  tokenPrincipal?: string | null;
  /** Whether the header's scheme is Bearer (otherwise SSE falls back to `?access_token=`). */
  bearer: boolean;
}

function tokenPrincipal(credential: Credential): string | null {
  if (credential.token === undefined) return null;
  return credential.tokenPrincipal !== undefined ? credential.tokenPrincipal : credential.principal;
}

async function makeCredentials(): Promise<Record<string, Credential>> {
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const alice = await signToken('alice');
  const bob = await signToken('bob');
  const aliceAtAcme = await signToken('alice', { tenant: 'acme' });
  const refused = (token: string): Credential => ({ header: `Bearer ${token}`, token, principal: null, bearer: true });
  const [head, , signature] = alice.split('.');
  const [, bobClaims] = bob.split('.');
  return {
    none: { principal: null, bearer: false },
    alice: { header: `Bearer ${alice}`, token: alice, principal: 'alice', bearer: true },
    'alice-lowercase-scheme': { header: `bearer ${alice}`, token: alice, principal: 'alice', bearer: true },
    'alice-trailing-word': { header: `Bearer ${alice} extra`, token: alice, principal: 'alice', bearer: true },
    'alice-at-acme': { header: `Bearer ${aliceAtAcme}`, token: aliceAtAcme, principal: 'acme:alice', bearer: true },
    bob: { header: `Bearer ${bob}`, token: bob, principal: 'bob', bearer: true },
    expired: refused(await signToken('alice', { expiresIn: Math.floor(Date.now() / 1000) - 3600 })),
    'wrong-secret': refused(await signToken('alice', { secret: 'not-the-secret-0123456789abcdef0123456789' })),
    'alg-none': refused(new UnsecuredJWT({}).setSubject('alice').setExpirationTime('1h').encode()),
    'no-sub': refused(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secret)),
    'no-exp': refused(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(secret)),
    'sub-not-a-string': refused(
      await new SignJWT({ sub: 42 } as unknown as Record<string, unknown>)
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(secret),
    ),
    'bob-claims-alice-signature': refused(`${head}.${bobClaims}.${signature}`),
    truncated: refused(alice.slice(0, -4)),
    huge: refused('a'.repeat(9000)),
    'scheme-only': { header: 'Bearer', principal: null, bearer: true },
    'scheme-space': { header: 'Bearer ', principal: null, bearer: true },
    'double-space': {
      header: `Bearer  ${alice}`,
      token: alice,
      principal: null,
      tokenPrincipal: 'alice',
      bearer: true,
    },
    basic: { header: 'Basic YWxpY2U6c2VjcmV0', principal: null, bearer: false },
    'no-scheme': { header: alice, token: alice, principal: null, tokenPrincipal: 'alice', bearer: false },
  };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP cases.

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'PURGE'];

type Route =
  | 'submit'
  | 'list'
  | 'get'
  | 'cancel'
  | 'events'
  | 'watch-token'
  | 'append'
  | 'dev-token'
  | 'healthz'
  | 'readyz'
  | 'metrics'
  | 'demo'
  | 'engine'
  | 'none';

type Expectation = { code: string } | { accepted: true } | { owned: true };

interface HttpCase {
  index: number;
  kind: string;
  /** How the input was made, for the reproducer. */
  label: string;
  method: string;
  path: string;
  auth: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent in two writes, so as chunked transfer encoding. */
  chunked: boolean;
  /** Who the gateway must take the caller for on /jobs routes (SSE: header, else access_token). */
  principal: string | null;
  /** What the contract says the answer must be, when the input is clean enough to tell. */
  expect?: Expectation;
}

/** A request body as a maker drafts it. */
interface BodyDraft {
  label: string;
  body: Buffer;
  expect?: Expectation;
}

/** A case as a route maker drafts it; `make` adds the caller and common headers. */
type Draft = Omit<HttpCase, 'index' | 'principal' | 'auth' | 'headers' | 'chunked'> & {
  auth?: string;
  headers?: Record<string, string>;
  /** Sent as `?access_token=`. */
  accessToken?: string;
};

interface HttpOutcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  error?: string;
}

/** Which route Express would give a request to (paths match undecoded, case-insensitively, `/x/` = `/x`). */
function routeOf(method: string, target: string): Route {
  let path = target.split(/[?#]/)[0] ?? '';
  if (/^https?:\/\//i.test(path)) path = path.replace(/^https?:\/\/[^/]*/i, '') || '/';
  if (path.startsWith('/socket.io/')) return 'engine';
  const segments = path
    .replace(/(.)\/$/, '$1')
    .split('/')
    .slice(1);
  const verb = method === 'HEAD' ? 'GET' : method;
  const [first = '', second, third] = segments.map((segment, i) => (i === 1 ? segment : segment.toLowerCase()));
  if (segments.length === 1 && first === '') return verb === 'GET' ? 'demo' : 'none';
  if (segments.length === 1 && ['styles.css', 'demo-page.js', 'demo-page.js.map'].includes(first)) {
    return verb === 'GET' ? 'demo' : 'none';
  }
  if (first === 'jobs') {
    if (segments.length === 1) return verb === 'POST' ? 'submit' : verb === 'GET' ? 'list' : 'none';
    if (!second) return 'none';
    if (segments.length === 2) return verb === 'GET' ? 'get' : 'none';
    if (segments.length === 3 && third === 'cancel') return verb === 'POST' ? 'cancel' : 'none';
    if (segments.length === 3 && third === 'events')
      return verb === 'GET' ? 'events' : verb === 'POST' ? 'append' : 'none';
    if (segments.length === 3 && third === 'watch-token') return verb === 'POST' ? 'watch-token' : 'none';
    return 'none';
  }
  if (segments.length === 2 && first === 'auth' && second?.toLowerCase() === 'dev-token') {
    return verb === 'POST' ? 'dev-token' : 'none';
  }
  if (segments.length === 1 && (first === 'healthz' || first === 'readyz' || first === 'metrics')) {
    return verb === 'GET' ? first : 'none';
  }
  return 'none';
}

interface FuzzWorld {
  credentials: Record<string, Credential>;
  /** Job id → owner, for every job the test knows of. */
  owners: Map<string, string>;
  aliceJobs: string[];
  bobJobs: string[];
  acmeJobs: string[];
  running: string;
}

/** Small payloads for each job type, so accepted fuzz jobs cost the worker next to nothing. */
function cheapPayload(rng: Rng, type: string): Record<string, unknown> {
  if (type === 'hash.sha256') return { sizeMb: 1, seed: randomText(rng, 20) };
  if (type === 'text.wordcount') return { words: rng.int(1, 2000), seed: rng.int(0, 9), top: rng.int(1, 5) };
  return { steps: rng.int(1, 3), intervalMs: rng.int(0, 20) };
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What the contract says a submit body must get, for a caller with a valid token. */
function submitOracle(body: unknown): { code: string } | { accepted: true; costly: boolean } {
  try {
    const parsed = SubmitJobRequestSchema.safeParse(body);
    if (!parsed.success) return { code: ErrorCode.VALIDATION_FAILED };
    // Every fuzz caller is a user: external jobs and other owners are a service's to submit.
    if (parsed.data.external === true || parsed.data.owner !== undefined) return { code: ErrorCode.FORBIDDEN };
    if (parsed.data.leaseMs !== undefined) return { code: ErrorCode.VALIDATION_FAILED };
    // The worker's own zod schemas: the gateway checks the JSON Schema registered from them, and must agree.
    const type = SHIPPED_JOB_TYPES.find(({ name }) => name === parsed.data.type);
    if (!type) return { code: ErrorCode.UNKNOWN_JOB_TYPE };
    const checked = type.payload.safeParse(parsed.data.payload ?? {});
    if (!checked.success) return { code: ErrorCode.VALIDATION_FAILED };
    // MAX_ATTEMPTS, by default 10.
    if ((parsed.data.attempts ?? 0) > 10) return { code: ErrorCode.VALIDATION_FAILED };
    const payload = checked.data as Record<string, number>;
    const costly =
      type.name === 'demo.steps'
        ? (payload.steps ?? 0) > 50 || (payload.steps ?? 0) * Math.max(1, payload.intervalMs ?? 0) > 2000
        : type.name === 'hash.sha256'
          ? (payload.sizeMb ?? 0) > 1
          : (payload.words ?? 0) > 20_000;
    return { accepted: true, costly };
  } catch {
    // The check itself blew up (a stack overflow on a deep payload): a gateway must refuse it.
    return { code: ErrorCode.VALIDATION_FAILED };
  }
}

class HttpCaseMaker {
  constructor(
    private readonly rng: Rng,
    private readonly world: FuzzWorld,
  ) {}

  /** A case whose request line and headers fit Node's 16 KiB limit (past it Node answers 431 itself). */
  make(index: number): HttpCase {
    for (;;) {
      const c = this.candidate(index);
      const size = Object.entries(c.headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
      if (size + c.path.length < 14_000) return c;
    }
  }

  private candidate(index: number): HttpCase {
    const rng = this.rng;
    const made = rng.weighted<Draft>([
      [30, () => this.submit()],
      [8, () => this.list()],
      [11, () => this.jobRoute('get', '')],
      [8, () => this.jobRoute('cancel', '/cancel')],
      [5, () => this.jobRoute('watch-token', '/watch-token')],
      [5, () => this.append()],
      [12, () => this.events()],
      [8, () => this.devToken()],
      [4, () => this.ops()],
      [13, () => this.unknownPath()],
      [3, () => this.engine()],
      [2, () => this.demo()],
    ]);
    const auth =
      made.auth ??
      rng.weighted<string>([
        [16, () => 'alice'],
        [4, () => rng.pick(Object.keys(this.world.credentials))],
        [1, () => 'junk'],
      ]);
    const credential = this.world.credentials[auth];
    const headers: Record<string, string> = {};
    if (auth === 'junk') headers.authorization = `Bearer ${rng.string(ALPHABETS.headerValue, rng.skewed(0, 400))}`;
    else if (credential?.header !== undefined) headers.authorization = credential.header;
    this.extraHeaders(headers, made.path.length > 1000);
    Object.assign(headers, made.headers);
    if (made.body === undefined) {
      delete headers['content-type'];
      delete headers['content-encoding'];
    }
    const bearer = auth !== 'junk' && credential?.bearer === true;
    const headerPrincipal = auth === 'junk' ? null : (credential?.principal ?? null);
    const queryPrincipal =
      made.accessToken === undefined
        ? null
        : (Object.values(this.world.credentials)
            .filter((c) => c.token === made.accessToken)
            .map(tokenPrincipal)
            .find((p) => p !== null) ?? null);
    const principal = made.kind === 'events' && !bearer && auth !== 'junk' ? queryPrincipal : headerPrincipal;
    const chunked = made.body !== undefined && made.body.length > 1 && rng.chance(0.1);
    const clean =
      routeOf(made.method, made.path) === made.kind &&
      headers['content-encoding'] === undefined &&
      (made.body === undefined || /^application\/json(;\s*charset=utf-8)?$/i.test(headers['content-type'] ?? ''));
    let expect = clean ? made.expect : undefined;
    // Body parsing (413, 400 on bad JSON) runs before authentication; the rest needs a caller first.
    const parsedFirst = expect !== undefined && 'code' in expect && expect.code === ErrorCode.PAYLOAD_TOO_LARGE;
    if (expect && principal === null && made.kind !== 'dev-token' && !parsedFirst) {
      expect = { code: ErrorCode.UNAUTHORIZED };
    }
    return {
      ...made,
      index,
      auth,
      headers,
      chunked,
      principal,
      ...(expect === undefined ? { expect: undefined } : { expect }),
    };
  }

  private method(natural: string): string {
    return this.rng.chance(0.85) ? natural : this.rng.pick(METHODS);
  }

  private extraHeaders(headers: Record<string, string>, longPath: boolean): void {
    const rng = this.rng;
    const value = (max: number) => rng.string(ALPHABETS.headerValue, rng.skewed(0, max)).trim();
    if (rng.chance(0.25)) {
      for (let i = rng.int(1, 6); i > 0; i -= 1) {
        const name = `x-${rng.string(ALPHABETS.headerName, rng.int(1, 30))}`;
        headers[name] = value(200);
      }
    }
    if (!longPath && rng.chance(0.04)) headers['x-fuzz-huge'] = rng.string(ALPHABETS.ascii, rng.int(2000, 8000));
    if (rng.chance(0.08)) headers['x-request-id'] = value(150);
    if (rng.chance(0.05)) headers.origin = rng.pick(['null', 'https://evil.example', value(80), 'http://127.0.0.1']);
    if (rng.chance(0.05)) headers.accept = rng.pick(['text/event-stream', '*/*', 'application/xml', value(60)]);
    if (rng.chance(0.03)) headers['accept-encoding'] = rng.pick(['gzip', 'br', '*', value(40)]);
    if (rng.chance(0.03)) headers['x-forwarded-for'] = rng.pick(['1.2.3.4', '::1, 10.0.0.1', value(60)]);
    if (rng.chance(0.03)) headers['x-forwarded-host'] = value(60);
    if (rng.chance(0.03)) headers.cookie = value(200);
    if (rng.chance(0.03)) headers.range = rng.pick(['bytes=0-1', 'bytes=-1', 'bytes=99999999999-', value(30)]);
    if (rng.chance(0.03)) headers['if-none-match'] = rng.pick(['*', 'W/"x"', value(40)]);
    if (rng.chance(0.03)) headers['last-event-id'] = headerSafe(this.junkNumber());
  }

  private contentType(): Record<string, string> {
    const rng = this.rng;
    const headers: Record<string, string> = {
      'content-type': rng.weighted<string>([
        [40, () => 'application/json'],
        [6, () => 'application/json; charset=utf-8'],
        [10, () => rng.pick(ODD_CONTENT_TYPES)],
        [1, () => rng.string(ALPHABETS.headerValue, rng.skewed(1, 80)).trim()],
      ]),
    };
    if (rng.chance(0.05)) {
      headers['content-encoding'] = rng.pick(['gzip', 'deflate', 'br', 'identity', 'GZIP', 'x-nope', 'gzip, gzip']);
    }
    return headers;
  }

  private junkNumber(): string {
    const rng = this.rng;
    return rng.weighted<string>([
      [5, () => rng.pick(NUMBER_LITERALS)],
      [2, () => String(rng.int(0, 30))],
      [2, () => rng.string('0123456789', rng.int(14, 40))],
      [1, () => rng.pick(['', ' ', ' 3', '3 ', 'NaN', 'Infinity', '-Infinity', '0x10', '0b1', '1_000', '+1', 'null'])],
      [1, () => randomText(this.rng, 20)],
    ]);
  }

  private jobId(): { id: string; known: boolean } {
    const rng = this.rng;
    const { aliceJobs, bobJobs, acmeJobs, running } = this.world;
    return rng.weighted<{ id: string; known: boolean }>([
      [4, () => ({ id: rng.pick(aliceJobs), known: true })],
      [2, () => ({ id: rng.pick(bobJobs), known: true })],
      [1, () => ({ id: rng.pick(acmeJobs), known: true })],
      [1, () => ({ id: running, known: true })],
      [2, () => ({ id: this.uuid(), known: true })],
      [2, () => ({ id: pathEncode(randomText(rng, 80)), known: false })],
      [1, () => ({ id: rng.string(ALPHABETS.id, rng.int(65, 300)), known: false })],
      [2, () => ({ id: rng.pick(ODD_JOB_IDS), known: false })],
      [1, () => ({ id: 'x'.repeat(rng.int(1000, 6000)), known: false })],
    ]);
  }

  private uuid(): string {
    const hex = (n: number) => this.rng.string('0123456789abcdef', n);
    return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  }

  private validSubmit(): Record<string, unknown> {
    const rng = this.rng;
    const type = rng.pick(words('demo.steps demo.steps demo.steps demo.steps hash.sha256 text.wordcount'));
    const body: Record<string, unknown> = { type, payload: cheapPayload(rng, type) };
    if (rng.chance(0.3)) body.idempotencyKey = randomText(rng, 60) || 'k';
    if (rng.chance(0.2)) body.attempts = rng.int(1, 3);
    return body;
  }

  private mutate(body: Record<string, unknown>): string {
    const rng = this.rng;
    const payload = (typeof body.payload === 'object' && body.payload !== null ? body.payload : {}) as Record<
      string,
      unknown
    >;
    const done: string[] = [];
    for (let i = rng.int(1, 3); i > 0; i -= 1) {
      const target = rng.chance(0.5) ? body : payload;
      const where = target === body ? '' : 'payload.';
      const key = rng.pick(
        target === body
          ? ['type', 'payload', 'idempotencyKey', 'attempts']
          : ['steps', 'intervalMs', 'failAt', 'failTimes', 'log', 'timeoutMs', 'sizeMb', 'seed', 'words', 'top'],
      );
      const put = (on: Record<string, unknown>, name: string, value: unknown, shown = JSON.stringify(value)) => {
        setOwn(on, name, value);
        return `${on === body ? '' : 'payload.'}${name}=${shown}`;
      };
      const length = rng.int(100, 40_000);
      done.push(
        rng.weighted<string>([
          [3, () => put(target, key, JSON.parse(rng.pick(NUMBER_LITERALS)) as unknown)],
          [4, () => put(target, key, randomJsonValue(rng, 2), 'random')],
          [1, () => put(body, 'type', rng.pick(ODD_TYPES))],
          [
            2,
            () => {
              delete target[key];
              return `delete ${where}${key}`;
            },
          ],
          [2, () => `extra ${put(target, rng.chance(0.5) ? rng.pick(NASTY_KEYS) : randomText(rng, 10), 1)}`],
          [1, () => put(target, key, 'x'.repeat(length), `x*${length}`)],
        ]),
      );
    }
    return done.join(', ');
  }

  /** A field only a service may send, or one that only an external job takes. */
  private serviceField(): Record<string, unknown> {
    return this.rng.pick([
      { external: true },
      { external: true, leaseMs: this.rng.int(1000, 3_600_000) },
      { owner: { sub: 'mallory' } },
      { owner: { sub: 'alice', tenant: 'elsewhere' } },
      { leaseMs: this.rng.int(1000, 3_600_000) },
    ]);
  }

  /** `POST /jobs/:id/events`, which only a publishing service may send, and no fuzz caller is one. */
  private append(): Draft {
    const rng = this.rng;
    const { id } = this.jobId();
    const events = rng.weighted<string>([
      [4, () => JSON.stringify({ events: [{ type: 'progress', data: { percent: rng.int(0, 100) } }] })],
      [3, () => randomJsonText(rng, 4)],
      [2, () => JSON.stringify({ events: Array.from({ length: rng.int(0, 120) }, () => ({ type: 'log', data: {} })) })],
      [1, () => brokenJsonText(rng, '{"events":[{"type":"started","data":{"attempt":1}}]}')],
    ]);
    const headers: Record<string, string> = this.contentType();
    if (rng.chance(0.3)) {
      // What a header can carry (Node refuses to send the rest): printable ASCII, of any length around the bound.
      const key = Array.from({ length: rng.int(0, 300) }, () => String.fromCharCode(rng.int(0x20, 0x7e))).join('');
      headers['idempotency-key'] = rng.chance(0.5) ? key : 'retry-1';
    }
    return {
      kind: 'append',
      label: 'append events',
      method: this.method('POST'),
      path: `/jobs/${id}/events`,
      body: Buffer.from(events),
      headers,
    };
  }

  private submit(): Draft {
    const rng = this.rng;
    const json = (label: string, value: unknown) => {
      // The gateway sees what JSON makes of the value (1e309 → null, -0 → 0): so must the oracle.
      const onTheWire = (): unknown => JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
      let oracle = submitOracle(onTheWire());
      if ('accepted' in oracle && oracle.costly && typeof value === 'object' && value !== null) {
        // Keep the fuzz cheap for the worker: an accepted job gets a small payload of its type.
        const type = (value as { type: string }).type;
        (value as Record<string, unknown>).payload = cheapPayload(rng, type);
        oracle = submitOracle(onTheWire());
        label += ' (payload made cheap)';
      }
      const text = JSON.stringify(value);
      const expect: Expectation | undefined =
        Buffer.byteLength(text) > 64 * 1024
          ? { code: ErrorCode.PAYLOAD_TOO_LARGE }
          : 'code' in oracle
            ? { code: oracle.code }
            : { accepted: true };
      return { label, body: Buffer.from(text), expect };
    };
    const made = rng.weighted<Partial<BodyDraft> & { label: string }>([
      [8, () => json('valid submit', this.validSubmit())],
      [4, () => json('submit with a service field', { ...this.validSubmit(), ...this.serviceField() })],
      [30, () => this.mutatedSubmit(json)],
      [12, () => ({ label: 'random JSON', body: Buffer.from(randomJsonText(rng, 4)) })],
      [8, () => ({ label: 'broken JSON', body: Buffer.from(brokenJsonText(rng, JSON.stringify(this.validSubmit()))) })],
      [8, () => this.deepSubmit()],
      [6, () => this.hugeSubmit()],
      [6, () => ({ label: 'random bytes', body: rng.bytes(rng.skewed(1, 4096)) })],
      [3, () => ({ label: 'empty body', body: Buffer.alloc(0) })],
      [3, () => ({ label: 'scalar body', body: Buffer.from(rng.pick(words('1 "demo.steps" null true [] {} [{}]'))) })],
      [3, () => this.gzipSubmit()],
      [2, () => ({ label: 'no body', body: undefined })],
    ]);
    const headers = made.body === undefined ? {} : this.contentType();
    return {
      kind: 'submit',
      method: this.method('POST'),
      path: rng.chance(0.9) ? '/jobs' : '/jobs/',
      headers,
      ...made,
    };
  }

  private mutatedSubmit(json: (label: string, value: unknown) => BodyDraft): BodyDraft {
    const body = this.validSubmit();
    const label = `mutated submit: ${this.mutate(body)}`;
    return json(label, body);
  }

  private deepSubmit(): BodyDraft {
    const rng = this.rng;
    const depth = rng.pick([9, 10, 50, 500, 3000, 5000, 10_000, 20_000, 30_000]);
    const shape = rng.chance(0.6) ? 'array' : 'object';
    const where = rng.pick(words('top payload payload payload payload.steps payload.steps idempotencyKey type'));
    const deep = deepJsonText(depth, shape);
    const text =
      where === 'top'
        ? deep
        : where === 'payload'
          ? `{"type":"demo.steps","payload":${deep}}`
          : where === 'payload.steps'
            ? `{"type":"demo.steps","payload":{"steps":${deep},"intervalMs":1}}`
            : `{"type":"demo.steps","${where}":${deep}}`;
    const expect: Expectation =
      Buffer.byteLength(text) > 64 * 1024
        ? { code: ErrorCode.PAYLOAD_TOO_LARGE }
        : { code: ErrorCode.VALIDATION_FAILED };
    return { label: `${shape}s nested ${depth} deep at ${where}`, body: Buffer.from(text), expect };
  }

  private hugeSubmit(): BodyDraft {
    const rng = this.rng;
    const length = rng.int(1000, 100_000);
    const filler = rng.chance(0.8) ? 'x'.repeat(length) : rng.string(ALPHABETS.nasty, Math.floor(length / 3));
    const where = rng.pick(['payload.s', 'type', 'idempotencyKey', 'key']);
    const value =
      where === 'payload.s'
        ? { type: 'demo.steps', payload: { steps: 1, intervalMs: 0, s: filler } }
        : where === 'key'
          ? { type: 'demo.steps', [filler]: 1 }
          : { type: where === 'type' ? filler : 'demo.steps', [where === 'type' ? 'payload' : where]: filler };
    const text = JSON.stringify(value);
    const expect: Expectation =
      Buffer.byteLength(text) > 64 * 1024
        ? { code: ErrorCode.PAYLOAD_TOO_LARGE }
        : { code: ErrorCode.VALIDATION_FAILED };
    return { label: `huge string (${length}) at ${where}`, body: Buffer.from(text), expect };
  }

  private gzipSubmit(): BodyDraft {
    const rng = this.rng;
    return rng.weighted<BodyDraft>([
      [1, () => ({ label: 'gzip of a valid submit', body: gzipSync(JSON.stringify(this.validSubmit())) })],
      [1, () => ({ label: 'gzip bomb (10 MB of spaces)', body: gzipSync(Buffer.alloc(10 * 1024 * 1024, 32)) })],
      [1, () => ({ label: 'gzip of random bytes', body: gzipSync(rng.bytes(rng.int(1, 2000))) })],
      [1, () => ({ label: 'truncated gzip', body: gzipSync(JSON.stringify(this.validSubmit())).subarray(0, 12) })],
    ]);
  }

  private list(): Draft {
    const rng = this.rng;
    const params: string[] = [];
    if (rng.chance(0.4)) params.push(`limit=${pathEncode(this.junkNumber())}`);
    if (rng.chance(0.7)) {
      params.push(
        `cursor=${pathEncode(rng.chance(0.7) ? this.junkNumber() : randomText(rng, rng.chance(0.1) ? 300 : 30))}`,
      );
    }
    if (rng.chance(0.1)) params.push('limit=1&limit=2');
    if (rng.chance(0.1)) params.push(rng.pick(['limit[]=1', 'limit[a]=1', 'cursor[]=1', 'cursor=1&cursor=2']));
    if (rng.chance(0.1)) params.push(`${pathEncode(randomText(rng, 10))}=${pathEncode(randomText(rng, 10))}`);
    const query = params.length > 0 ? `?${params.join('&')}` : '';
    return { kind: 'list', label: 'list', method: this.method('GET'), path: `/jobs${query}` };
  }

  private jobRoute(kind: 'get' | 'cancel' | 'watch-token', suffix: string): Draft {
    const rng = this.rng;
    const { id, known } = this.jobId();
    const auth = rng.weighted<string>([
      [5, () => 'alice'],
      [2, () => rng.pick(['bob', 'alice-at-acme', 'alice-lowercase-scheme'])],
      [2, () => rng.pick(Object.keys(this.world.credentials))],
    ]);
    const principal = this.world.credentials[auth]?.principal ?? null;
    const owner = this.world.owners.get(id);
    const expect: Expectation | undefined = !known
      ? undefined
      : owner !== undefined && owner === principal
        ? { owned: true }
        : { code: ErrorCode.JOB_NOT_FOUND };
    const body = rng.chance(0.1) ? Buffer.from(randomJsonText(rng, 2)) : undefined;
    return {
      kind,
      label: `${kind} ${known ? `id of ${owner ?? 'nobody'}` : 'junk id'}${body ? ' with a body' : ''}`,
      method: this.method(kind === 'get' ? 'GET' : 'POST'),
      path: `/jobs/${id}${suffix}`,
      auth,
      body,
      headers: body ? this.contentType() : {},
      ...(body === undefined && expect !== undefined && { expect }),
    };
  }

  private events(): Draft {
    const rng = this.rng;
    const { id } = this.jobId();
    const params: string[] = [];
    if (rng.chance(0.6)) params.push(`afterSeq=${pathEncode(this.junkNumber())}`);
    if (rng.chance(0.1)) params.push(rng.pick(['afterSeq=1&afterSeq=2', 'afterSeq[]=1', 'afterSeq[a]=1']));
    let accessToken: string | undefined;
    let auth: string | undefined;
    if (rng.chance(0.4)) {
      const credential = this.world.credentials[rng.pick(Object.keys(this.world.credentials))];
      accessToken = credential?.token ?? randomText(rng, 50);
      params.push(`access_token=${pathEncode(accessToken)}`);
      if (rng.chance(0.7)) auth = rng.pick(['none', 'basic', 'no-scheme']);
    }
    if (rng.chance(0.05)) params.push('access_token=a&access_token=b');
    const headers: Record<string, string> = {};
    if (rng.chance(0.2)) headers['last-event-id'] = headerSafe(this.junkNumber());
    const query = params.length > 0 ? `?${params.join('&')}` : '';
    return {
      kind: 'events',
      label: 'events',
      method: this.method('GET'),
      path: `/jobs/${id}/events${query}`,
      headers,
      ...(auth !== undefined && { auth }),
      ...(accessToken !== undefined && { accessToken }),
    };
  }

  private devToken(): Draft {
    const rng = this.rng;
    const value = rng.weighted<unknown>([
      [3, () => ({ sub: randomText(rng, 100) || 'x' })],
      [1, () => ({ sub: randomText(rng, 30) || 'x', tenant: randomText(rng, 30) || 'y' })],
      [1, () => ({ sub: 'x'.repeat(rng.int(101, 5000)) })],
      [1, () => ({ sub: '' })],
      [2, () => ({ sub: randomJsonValue(rng, 2), tenant: randomJsonValue(rng, 1) })],
      [1, () => ({ sub: 'alice', [rng.pick(NASTY_KEYS)]: 1 })],
      [2, () => randomJsonValue(rng, 3)],
    ]);
    let expect: Expectation | undefined;
    try {
      expect = DevTokenRequestSchema.safeParse(value).success
        ? { accepted: true }
        : { code: ErrorCode.VALIDATION_FAILED };
    } catch {
      expect = undefined;
    }
    const text = JSON.stringify(value) ?? 'null';
    const broken = rng.chance(0.15);
    return {
      kind: 'dev-token',
      label: broken ? 'dev-token broken JSON' : 'dev-token',
      method: this.method('POST'),
      path: rng.pick(['/auth/dev-token', '/auth/dev-token', '/auth/dev-token/', '/AUTH/DEV-TOKEN']),
      body: Buffer.from(broken ? brokenJsonText(rng, text) : text),
      headers: this.contentType(),
      auth: 'none',
      ...(!broken && expect !== undefined && { expect }),
    };
  }

  private ops(): Draft {
    const rng = this.rng;
    const path = rng.pick(['/metrics', '/healthz', '/readyz']);
    const query = rng.chance(0.3) ? `?${pathEncode(randomText(rng, 20))}=${pathEncode(randomText(rng, 20))}` : '';
    return { kind: 'ops', label: 'ops', method: this.method('GET'), path: path + query };
  }

  private demo(): Draft {
    const rng = this.rng;
    return {
      kind: 'demo',
      label: 'demo page',
      method: this.method('GET'),
      path: rng.pick(['/', '/styles.css', '/demo-page.js', '/demo-page.js.map', '/?gateways=javascript:alert(1)']),
      headers: rng.chance(0.3)
        ? { range: rng.pick(['bytes=0-1', 'bytes=-1', 'bytes=5-2', 'bytes=99999999999-', 'x']) }
        : {},
    };
  }

  private engine(): Draft {
    const rng = this.rng;
    // A valid polling handshake opens a session that counts against the per-IP limit until it times out,
    // so only a few are sent; the rest name unknown sessions and versions.
    const path = rng.weighted<string>([
      [1, () => '/socket.io/?EIO=4&transport=polling'],
      [4, () => `/socket.io/?EIO=4&transport=polling&sid=${pathEncode(randomText(rng, 30))}`],
      [2, () => `/socket.io/?EIO=${pathEncode(this.junkNumber())}&transport=polling`],
      [2, () => `/socket.io/?EIO=4&transport=${pathEncode(randomText(rng, 15))}`],
      [1, () => `/socket.io/${pathEncode(randomText(rng, 30))}`],
    ]);
    const body = rng.chance(0.4) ? Buffer.from(randomText(rng, 2000)) : undefined;
    return {
      kind: 'engine',
      label: 'engine.io path',
      method: body ? 'POST' : this.method('GET'),
      path,
      body,
      headers: body ? { 'content-type': rng.pick(['text/plain;charset=UTF-8', 'application/octet-stream']) } : {},
    };
  }

  private unknownPath(): Draft {
    const rng = this.rng;
    const segment = () =>
      rng.chance(0.5) ? rng.string(ALPHABETS.id, rng.skewed(1, 20)) : pathEncode(randomText(rng, 20)) || 'x';
    const path = rng.weighted<string>([
      [
        4,
        () =>
          `/${Array.from({ length: rng.int(1, 5) }, segment).join('/')}${rng.chance(0.2) ? `?${pathEncode(randomText(rng, 30))}` : ''}`,
      ],
      [4, () => rng.pick(ODD_PATHS)],
      [1, () => `/${'a'.repeat(rng.int(2000, 7000))}`],
      [1, () => `/jobs/${Array.from({ length: rng.int(50, 400) }, () => 'x').join('/')}`],
      [1, () => `/${pathEncode(rng.string(ALPHABETS.nasty, rng.int(1, 200)))}`],
    ]);
    const body = rng.chance(0.15) ? Buffer.from(randomJsonText(rng, 2)) : undefined;
    return { kind: 'unknown-path', label: 'unknown path', method: this.method('GET'), path, body };
  }
}

function routeMethod(route: Route): string | undefined {
  switch (route) {
    case 'submit':
    case 'cancel':
    case 'dev-token':
      return 'POST';
    case 'none':
    case 'engine':
      return undefined;
    default:
      return 'GET';
  }
}

function sendHttp(agent: Agent, port: number, c: HttpCase): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    let req: ReturnType<typeof httpRequest>;
    // Node frames a body on GET, DELETE or OPTIONS only when told to; unframed, it would reach the gateway
    // as the start of a next (garbage) request on the kept-alive connection.
    const framing: Record<string, string> =
      c.body === undefined
        ? {}
        : c.chunked
          ? { 'transfer-encoding': 'chunked' }
          : { 'content-length': String(c.body.length) };
    try {
      req = httpRequest({
        host: '127.0.0.1',
        port,
        method: c.method,
        path: c.path,
        headers: { ...c.headers, ...framing },
        agent,
      });
    } catch (error) {
      resolve({ body: '', error: `client refused to send it: ${String(error)}` });
      return;
    }
    const timer = setTimeout(() => {
      finish({ body: '', error: `no answer within ${ANSWER_TIMEOUT_MS} ms` });
      req.destroy();
    }, ANSWER_TIMEOUT_MS);
    req.on('error', (error) => finish({ body: '', error: String(error) }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () =>
        finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 256 * 1024) chunks.push(chunk);
      });
      res.on('end', done);
      res.on('error', done);
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        // A live job's stream stays open: read a little, then hang up. That is not a failure.
        setTimeout(() => {
          done();
          res.destroy();
        }, SSE_READ_MS);
      }
    });
    if (c.body === undefined) req.end();
    else if (c.chunked) {
      const cut = Math.floor(c.body.length / 2);
      req.write(c.body.subarray(0, cut));
      req.end(c.body.subarray(cut));
    } else req.end(c.body);
  });
}

function httpReproducer(c: HttpCase, outcome: HttpOutcome): string {
  const headers = Object.fromEntries(
    Object.entries(c.headers).map(([name, value]) => [
      name,
      value.length > 60 ? `${value.slice(0, 60)}…(${value.length})` : value,
    ]),
  );
  const answer = outcome.error ?? `${outcome.status} ${preview(outcome.body, 200)}`;
  return (
    `#${c.index} [${c.kind}: ${c.label}] ${c.method} ${preview(c.path, 120)} auth=${c.auth} ` +
    `headers=${JSON.stringify(headers)} body=${preview(c.body)}${c.chunked ? ' (chunked)' : ''} → ${answer}`
  );
}

/** The JobEvent ids found in an SSE text, to check whose job was streamed. */
function sseJobIds(text: string): string[] {
  return [...text.matchAll(/^data: (.*)$/gm)].map((match) => {
    try {
      return String((JSON.parse(match[1] ?? '') as { jobId?: unknown }).jobId);
    } catch {
      return '(unparsable)';
    }
  });
}

function checkHttp(c: HttpCase, outcome: HttpOutcome, world: FuzzWorld, problems: Problems): void {
  const where = httpReproducer(c, outcome);
  if (outcome.error !== undefined || outcome.status === undefined) {
    problems.add(`HTTP: no answer (${(outcome.error ?? '').replace(/\d+ ms/, 'N ms')})`, where);
    return;
  }
  const { status, body } = outcome;
  const route = routeOf(c.method, c.path);
  const hasBody = c.method !== 'HEAD' && status !== 204 && status !== 304;
  if (status >= 500) problems.add(`HTTP ${status} on ${c.kind}`, where);
  const requestText = `${c.path} ${JSON.stringify(c.headers)} ${c.body?.toString('latin1') ?? ''}`;
  if (route !== 'demo' && STACK_TRACE.test(body) && !STACK_TRACE.test(requestText)) {
    problems.add(`HTTP: stack trace or source path in an answer (${c.kind})`, where);
  }
  let code: string | undefined;
  if (status >= 400 && route !== 'engine' && hasBody) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const error = ApiErrorBodySchema.safeParse(parsed);
    const contentType = String(outcome.headers?.['content-type']);
    if (!error.success || !/^[A-Z_]+$/.test(error.data.error.code) || !contentType.startsWith('application/json')) {
      problems.add(`HTTP ${status} without a coded JSON error (${c.kind})`, where);
    } else {
      code = error.data.error.code;
      if (!ERROR_CODES.has(code)) problems.add(`HTTP: error code ${code} is not in the contract`, where);
    }
  }
  if (status < 400) checkHttpSuccess(c, outcome, route, world, problems, where);
  const expected = c.expect;
  if (expected && 'code' in expected) {
    if (status < 400) problems.add(`HTTP: accepted what must get ${expected.code} (${c.kind})`, where);
    else if (status < 500 && code !== undefined && code !== expected.code && code !== ErrorCode.RATE_LIMITED) {
      problems.add(`HTTP: ${code} where the contract says ${expected.code} (${c.kind})`, where);
    }
  } else if (expected && status >= 400 && code !== ErrorCode.RATE_LIMITED) {
    const allowed = c.kind === 'cancel' && code === ErrorCode.JOB_FINISHED;
    if (!allowed) problems.add(`HTTP: refused a valid ${c.kind} with ${status} ${code ?? ''}`, where);
  }
}

function checkHttpSuccess(
  c: HttpCase,
  outcome: HttpOutcome,
  route: Route,
  world: FuzzWorld,
  problems: Problems,
  where: string,
): void {
  const { status = 0, body } = outcome;
  if (c.method === 'OPTIONS' && status === 204) return;
  // Express answers a conditional GET (`If-None-Match: *`) with 304 and no body.
  if (status === 304 && c.headers['if-none-match'] !== undefined && routeMethod(route) === 'GET') return;
  const json = (): unknown => {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  };
  const owns = (jobId: string) => {
    const owner = world.owners.get(jobId);
    if (owner !== undefined && owner !== c.principal) {
      problems.add(`HTTP: served ${owner}'s job to ${c.principal ?? 'an anonymous caller'}`, where);
    }
  };
  const needsPrincipal = ['submit', 'list', 'get', 'cancel', 'events', 'watch-token', 'append'].includes(route);
  if (needsPrincipal && c.principal === null) {
    problems.add(`HTTP: ${route} answered ${status} without valid credentials`, where);
    return;
  }
  const headOnly = c.method === 'HEAD';
  switch (route) {
    case 'submit': {
      const parsed = SubmitJobResponseSchema.safeParse(json());
      if (![200, 202].includes(status) || !parsed.success) problems.add('HTTP: malformed submit success', where);
      else if (c.principal !== null) {
        if (!world.owners.has(parsed.data.job.id)) world.owners.set(parsed.data.job.id, c.principal);
        else owns(parsed.data.job.id);
      }
      return;
    }
    case 'list': {
      if (headOnly) return;
      const parsed = ListJobsResponseSchema.safeParse(json());
      if (status !== 200 || !parsed.success) problems.add('HTTP: malformed list success', where);
      else for (const job of parsed.data.jobs) owns(job.id);
      return;
    }
    case 'get':
    case 'cancel': {
      if (headOnly) return;
      const parsed = JobSnapshotSchema.safeParse(json());
      if (status !== (route === 'get' ? 200 : 202) || !parsed.success)
        problems.add(`HTTP: malformed ${route} success`, where);
      else owns(parsed.data.id);
      return;
    }
    case 'watch-token': {
      const parsed = WatchTokenSchema.safeParse(json());
      if (status !== 201 || !parsed.success) problems.add('HTTP: malformed watch-token success', where);
      else owns(c.path.split('/')[2] ?? '');
      return;
    }
    case 'append':
      problems.add('HTTP: appended events for a token that may not publish', where);
      return;
    case 'events': {
      if (headOnly) return;
      if (status !== 200 || !String(outcome.headers?.['content-type']).startsWith('text/event-stream')) {
        problems.add('HTTP: events success that is not an event stream', where);
      }
      for (const jobId of sseJobIds(body)) owns(jobId);
      return;
    }
    case 'dev-token': {
      const token = (json() as { token?: unknown } | undefined)?.token;
      if (status !== 200 || typeof token !== 'string') problems.add('HTTP: malformed dev-token success', where);
      return;
    }
    case 'healthz':
    case 'readyz':
    case 'metrics':
    case 'engine':
      if (status !== 200) problems.add(`HTTP: unexpected ${status} on ${route}`, where);
      return;
    case 'demo':
      if (status !== 200 && !(status === 206 && c.headers.range !== undefined)) {
        problems.add(`HTTP: unexpected ${status} on the demo page`, where);
      }
      return;
    case 'none':
      problems.add(`HTTP: ${status} for a request no route serves`, where);
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Socket.IO cases: emits through socket.io-client, and raw packets over a plain WebSocket.

interface SocketCase {
  index: number;
  kind: string;
  label: string;
  event: string;
  args: unknown[];
  /** Whether it asks for an ack: subscribe and unsubscribe do, unknown events don't (nobody answers). */
  ack: boolean;
}

type AckVerdict = { valid: false } | { valid: true; jobId: string; afterSeq: number; owned: boolean };

/** What the gateway must answer, from the contract: Nest hands a handler its one argument, or the list of them. */
function ackOracle(world: FuzzWorld, event: string, args: unknown[]): AckVerdict {
  // What JSON makes of each argument on the wire (binary ones travel as they are).
  const wire = args.map((arg) => (Buffer.isBuffer(arg) ? arg : (JSON.parse(JSON.stringify(arg) ?? 'null') as unknown)));
  const data: unknown = wire.length === 0 ? undefined : wire.length === 1 ? wire[0] : wire;
  const schema = event === 'subscribe' ? SubscribeRequestSchema : UnsubscribeRequestSchema;
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { valid: false };
  const { jobId } = parsed.data;
  const afterSeq = (parsed.data as { afterSeq?: number }).afterSeq ?? 0;
  return { valid: true, jobId, afterSeq, owned: world.owners.get(jobId) === 'alice' };
}

/** Checks one ack against the oracle; answers a problem kind, or undefined when it is right. */
function ackProblem(event: string, verdict: AckVerdict, ack: unknown): string | undefined {
  const parsed = (event === 'subscribe' ? SubscribeAckSchema : UnsubscribeAckSchema).safeParse(ack);
  if (!parsed.success) return `${event}: malformed ack`;
  const answer = parsed.data;
  if (!answer.ok) {
    const { code } = answer.error;
    if (!/^[A-Z_]+$/.test(code) || !ERROR_CODES.has(code)) return `${event}: ack code ${code} is not in the contract`;
    if (!verdict.valid)
      return code === ErrorCode.VALIDATION_FAILED ? undefined : `${event}: ${code} for a malformed request`;
    if (event === 'unsubscribe') return `unsubscribe: ${code} for a valid request`;
    const transient: string[] = [
      ErrorCode.RATE_LIMITED,
      ErrorCode.TOO_MANY_SUBSCRIPTIONS,
      ErrorCode.SUBSCRIPTION_CLOSED,
    ];
    if (transient.includes(code)) return undefined;
    if (code === ErrorCode.JOB_NOT_FOUND && !verdict.owned) return undefined;
    return `subscribe: ${code} for a valid subscribe to ${verdict.owned ? 'an own' : "someone else's"} job`;
  }
  if (!verdict.valid) return `${event}: ok for a malformed request`;
  if (event === 'unsubscribe') return undefined;
  if (!verdict.owned) return "subscribe: ok for someone else's or a missing job";
  const subscribed = SubscribeAckSchema.safeParse(ack);
  if (!subscribed.success || !subscribed.data.ok) return 'subscribe: malformed ack';
  const { snapshot, events, reset } = subscribed.data;
  if (snapshot.id !== verdict.jobId) return 'subscribe: snapshot of another job';
  // A reset (afterSeq past the job's last seq here: the fuzz's logs are never trimmed) gives the whole log.
  const aheadOfLog = verdict.afterSeq > snapshot.lastSeq;
  if (reset !== (aheadOfLog || undefined))
    return 'subscribe: reset when the log holds everything, or none when it does not';
  const seqList = events.map((e) => e.seq);
  if (
    events.some((e) => e.jobId !== verdict.jobId) ||
    seqList.some((seq, i) => seq <= (seqList[i - 1] ?? (aheadOfLog ? 0 : verdict.afterSeq)))
  ) {
    return 'subscribe: backlog not the job’s events after afterSeq, in order';
  }
  return undefined;
}

/** One plain WebSocket frame: its text, bytes sent as a binary frame, or pieces sent as a fragmented message. */
interface WsFrame {
  kind: string;
  text?: string;
  binary?: Buffer;
  pieces?: string[];
}

class SocketCaseMaker {
  constructor(
    private readonly rng: Rng,
    private readonly world: FuzzWorld,
  ) {}

  /** Cases whose JSON stays below the message limit: an oversized one would (rightly) drop the socket. */
  make(index: number, binary = true): SocketCase {
    for (;;) {
      const made = this.candidate(binary);
      const size = made.args.reduce<number>(
        (sum, arg) => sum + (Buffer.isBuffer(arg) ? arg.length : Buffer.byteLength(JSON.stringify(arg) ?? '')),
        made.event.length,
      );
      if (size <= MAX_EMIT_BYTES) return { index, ...made };
    }
  }

  private candidate(binary: boolean): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const event = rng.chance(0.75) ? 'subscribe' : 'unsubscribe';
    return rng.weighted<Omit<SocketCase, 'index'>>([
      [10, () => this.request(event, 'own job', rng.pick([...this.world.aliceJobs, this.world.running]))],
      [5, () => this.request(event, "someone else's job", rng.pick([...this.world.bobJobs, ...this.world.acmeJobs]))],
      [5, () => this.request(event, 'random id', rng.string(ALPHABETS.id, rng.int(1, 64)))],
      [28, () => this.mutated(event)],
      [12, () => ({ kind: event, label: 'random JSON value', event, args: [randomJsonValue(rng, 4)], ack: true })],
      [
        4,
        () => {
          const args = Array.from({ length: rng.pick([0, 2, 3, 5]) }, () => randomJsonValue(rng, 2));
          return { kind: event, label: `${args.length} arguments`, event, args, ack: true };
        },
      ],
      [
        binary ? 3 : 0,
        () => ({
          kind: event,
          label: 'binary',
          event,
          args: [rng.chance(0.5) ? rng.bytes(rng.skewed(0, 1000)) : { jobId: rng.bytes(rng.int(1, 64)) }],
          ack: true,
        }),
      ],
      [12, () => this.unknownEvent()],
    ]);
  }

  private request(event: string, label: string, jobId: string): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const body: Record<string, unknown> = { jobId };
    if (event === 'subscribe' && rng.chance(0.5)) body.afterSeq = rng.int(0, 12);
    return { kind: event, label, event, args: [body], ack: true };
  }

  private mutated(event: string): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const body: Record<string, unknown> = {
      jobId: rng.pick([...this.world.aliceJobs, this.world.running, ...this.world.bobJobs]),
    };
    if (event === 'subscribe' && rng.chance(0.5)) body.afterSeq = rng.int(0, 12);
    const put = (key: string, value: unknown, shown = JSON.stringify(value)): string => {
      setOwn(body, key, value);
      return `${key}=${shown}`;
    };
    const junkJobId = () =>
      rng.weighted<unknown>([
        [3, () => randomJsonValue(rng, 2)],
        [2, () => randomText(rng, 80)],
        [1, () => 'x'.repeat(rng.int(65, 13_000))],
        [1, () => `${rng.pick(this.world.aliceJobs)}${rng.pick([' ', '\u0000', '/', '%', '\n', '{x}'])}`],
        [1, () => rng.pick(this.world.aliceJobs).toUpperCase()],
      ]);
    const junkAfterSeq = () =>
      rng.weighted<unknown>([
        [3, () => JSON.parse(rng.pick(NUMBER_LITERALS)) as unknown],
        [2, () => rng.pick(['', ' 2', ...words('1 -1 NaN Infinity 1e3 0x10')])],
        [2, () => randomJsonValue(rng, 1)],
      ]);
    const done: string[] = [];
    for (let i = rng.int(1, 2); i > 0; i -= 1) {
      done.push(
        rng.weighted<string>([
          [4, () => put('jobId', junkJobId(), 'junk')],
          [4, () => put('afterSeq', junkAfterSeq())],
          [2, () => `extra ${put(rng.chance(0.6) ? rng.pick(NASTY_KEYS) : randomText(rng, 12), 1)}`],
          [
            1,
            () => {
              delete body.jobId;
              return 'no jobId';
            },
          ],
        ]),
      );
    }
    return { kind: event, label: `mutated: ${done.join(', ')}`, event, args: [body], ack: true };
  }

  private unknownEvent(): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const event = rng.chance(0.5) ? randomText(rng, 30) || 'x' : rng.pick(ODD_EVENTS);
    const args = Array.from({ length: rng.int(0, 3) }, () => randomJsonValue(rng, 2));
    return { kind: 'unknown-event', label: `event ${JSON.stringify(event)}`, event, args, ack: false };
  }
}

function socketReproducer(c: SocketCase, answer: string): string {
  const args = c.args.map((arg) =>
    Buffer.isBuffer(arg) ? `<Buffer ${arg.length} B>` : (JSON.stringify(arg) ?? 'undefined'),
  );
  return `#${c.index} [${c.kind}: ${c.label}] emit(${JSON.stringify(c.event)}, ${preview(args.join(', '), 300)}) → ${preview(answer, 240)}`;
}

/** A client that speaks Engine.IO v4 / Socket.IO v5 by hand over a WebSocket, so it can say anything. */
class RawEngineSocket {
  readonly frames: string[] = [];
  closeCode: number | undefined;
  private readonly ws: WebSocket;
  private wakers: Array<() => void> = [];

  private constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    this.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const text = isBinary
        ? '<binary>'
        : (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
      if (text === '2') this.send('3');
      else this.frames.push(text);
      this.wake();
    });
    this.ws.on('close', (code: number) => {
      this.closeCode = code;
      this.wake();
    });
    this.ws.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawEngineSocket> {
    const socket = new RawEngineSocket(port);
    if (!(await socket.waitFor(() => socket.frames.some((frame) => frame.startsWith('0{')), ACK_TIMEOUT_MS))) {
      socket.close();
      throw new Error('no Engine.IO open packet');
    }
    return socket;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string | Buffer): void {
    if (this.isOpen) this.ws.send(frame, { binary: Buffer.isBuffer(frame) });
  }

  /** Resolves true once the predicate holds, false on timeout or when the connection is gone. */
  async waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.closeCode !== undefined || Date.now() > deadline) return predicate();
      await new Promise<void>((resolve) => {
        this.wakers.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return true;
  }

  async connectNamespace(auth: unknown): Promise<string | undefined> {
    this.send(`40/jobs,${JSON.stringify(auth)}`);
    await this.waitFor(() => this.frames.some((frame) => /^4[04]\/jobs,/.test(frame)), ACK_TIMEOUT_MS);
    return this.frames.find((frame) => /^4[04]\/jobs,/.test(frame));
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

/** Frames no well-behaved client sends: the gateway may drop the connection, but must stay up. */
function garbageFrame(rng: Rng): { label: string; frame: string | Buffer } {
  const valid = `42/jobs,${rng.int(0, 99)}["subscribe",{"jobId":"abc","afterSeq":1}]`;
  const corrupt = (): string => {
    const chars = [...valid];
    const at = rng.int(0, chars.length - 1);
    rng.weighted<unknown>([
      [1, () => chars.splice(at, 1)],
      [1, () => chars.splice(at, 0, rng.pick([...ALPHABETS.ascii, ...ALPHABETS.nasty]))],
      [1, () => chars.splice(at)],
      [1, () => chars.splice(at, 0, ...chars.slice(0, at))],
    ]);
    return chars.join('');
  };
  const namespace = () => rng.pick(['/nope', '/', '', '/jobs/x', '/JOBS', `/${randomText(rng, 20)}`]);
  const makers: Array<[number, string, () => string | Buffer]> = [
    [4, 'random text', () => randomText(rng, 300)],
    [3, 'binary frame', () => rng.bytes(rng.skewed(0, 2000))],
    [2, 'engine packet', () => rng.pick(ENGINE_PACKETS)],
    [6, 'corrupted event packet', corrupt],
    [2, 'broken JSON in an event', () => `42/jobs,1${brokenJsonText(rng, '["subscribe",{"jobId":"abc"}]')}`],
    [2, 'other namespace', () => `4${rng.pick(words('0 1 2 3 5 6'))}${namespace()},${randomJsonText(rng, 2)}`],
    [2, 'odd ack id', () => `42/jobs,${rng.pick(words('-1 1.5 abc 1e3 99999999999999999999999 0x1'))}["subscribe",{}]`],
    [1, 'reserved event', () => `42/jobs,${JSON.stringify([rng.pick(RESERVED_EVENTS), 1])}`],
    [1, 'second namespace connect', () => `40/jobs,${JSON.stringify({ token: randomJsonValue(rng, 1) })}`],
    [1, 'namespace connect, not an object', () => `40/jobs,${randomJsonText(rng, 2)}`],
    [
      1,
      'binary placeholder',
      () => `451-/jobs,2["subscribe",{"_placeholder":true,"num":${rng.pick(words('0 1 -1 "x"'))}}]`,
    ],
    [1, 'many attachments', () => `45${rng.int(2, 99_999_999)}-/jobs,["subscribe",{"_placeholder":true,"num":0}]`],
    [1, 'over the message limit', () => 'x'.repeat(rng.int(16 * 1024 + 1, 40_000))],
    [1, 'deep JSON', () => `42/jobs,1["subscribe",${deepJsonText(rng.int(100, 7000), rng.pick(['array', 'object']))}]`],
    [1, 'ack for nothing', () => `43/jobs,${rng.int(0, 1_000_000)}[${randomJsonText(rng, 2)}]`],
    [1, 'namespace disconnect', () => '41/jobs,'],
  ];
  return rng.weighted(makers.map(([weight, label, make]) => [weight, () => ({ label, frame: make() })] as const));
}

// ---------------------------------------------------------------------------------------------------------

describe(`fuzz: random and malformed input at a running gateway (${REPLAY})`, () => {
  const stack = new E2eStack({ gateways: 1, workers: 1 });
  const sockets: RawSocket[] = [];
  const world: FuzzWorld = {
    credentials: {},
    owners: new Map(),
    aliceJobs: [],
    bobJobs: [],
    acmeJobs: [],
    running: '',
  };
  let pid = 0;
  let port = 0;
  let baselineRss = 0;
  let baselineSockets = 0;
  let baselineWatches = 0;
  let baselinePlainSockets = 0;
  let bytesSent = 0;

  const say = (line: string) => process.stdout.write(`[fuzz ${SEED}] ${line}\n`);
  const headerOf = (principal: string): string | undefined =>
    Object.values(world.credentials).find((c) => c.principal === principal)?.header;

  beforeAll(async () => {
    await stack.start();
    port = Number(new URL(stack.url(0)).port);
    pid = stack.stack.gateways[0]?.pid ?? 0;
    world.credentials = await makeCredentials();
    const token = (name: string) => world.credentials[name]?.token ?? '';
    const tiny = { type: 'demo.steps', payload: { steps: 2, intervalMs: 5 } };
    for (const [owner, credential, list] of [
      ['alice', 'alice', world.aliceJobs],
      ['alice', 'alice', world.aliceJobs],
      ['alice', 'alice', world.aliceJobs],
      ['bob', 'bob', world.bobJobs],
      ['bob', 'bob', world.bobJobs],
      ['acme:alice', 'alice-at-acme', world.acmeJobs],
    ] as const) {
      const job = await submitJob(stack.url(0), token(credential), tiny);
      list.push(job.id);
      world.owners.set(job.id, owner);
    }
    // One long job, so subscriptions and SSE streams see live events while the fuzz runs.
    const running = await submitJob(stack.url(0), token('alice'), {
      type: 'demo.steps',
      payload: { steps: 600, intervalMs: 100 },
    });
    world.running = running.id;
    world.owners.set(running.id, 'alice');
    for (const id of world.aliceJobs) await waitForEnd(stack.url(0), token('alice'), id);
    for (const id of world.bobJobs) await waitForEnd(stack.url(0), token('bob'), id);
    for (const id of world.acmeJobs) await waitForEnd(stack.url(0), token('alice-at-acme'), id);
    // Warm up (JIT, pools, lazily loaded modules) before taking the memory baseline.
    for (let i = 0; i < 50; i += 1) {
      await request(`${stack.url(0)}/jobs/${world.aliceJobs[0]}`, { token: token('alice') });
      await request(`${stack.url(0)}/jobs`, { token: token('alice'), rawBody: '{"type":1}' });
    }
    baselineRss = rssBytes(pid);
    baselineSockets = await gauge(stack.url(0), 'jobcast_sockets_connected');
    baselineWatches = await gauge(stack.url(0), 'jobcast_subscriptions');
    baselinePlainSockets = await gauge(stack.url(0), 'jobcast_plain_websockets_connected');
    say(`gateway pid ${pid}, RSS ${(baselineRss / 2 ** 20).toFixed(1)} MB after warm-up`);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack.stop();
  });

  it('answers thousands of random HTTP requests with a coded error or a valid success', async () => {
    const rng = new Rng(SEED);
    const maker = new HttpCaseMaker(rng, world);
    const cases = Array.from({ length: HTTP_CASES }, (_, i) => maker.make(i));
    const problems = new Problems();
    const kinds = new Tally();
    const statuses = new Tally();
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
    const started = Date.now();
    await pool(cases, HTTP_CONCURRENCY, async (c) => {
      kinds.add(c.kind);
      bytesSent += (c.body?.length ?? 0) + c.path.length;
      const outcome = await sendHttp(agent, port, c);
      statuses.add(String(outcome.status ?? 'none'));
      if (TRACE?.test(`${c.kind}: ${c.label}`)) say(httpReproducer(c, outcome));
      checkHttp(c, outcome, world, problems);
    });
    agent.destroy();
    say(
      `HTTP: ${cases.length} requests in ${Date.now() - started} ms; by kind: ${kinds.toString()}; by status: ${statuses.toString()}`,
    );

    // Jobs the fuzz got accepted are cancelled, so they hold no worker slot for what follows.
    const fuzzJobs = [...world.owners].filter(
      ([id]) => ![...world.aliceJobs, ...world.bobJobs, ...world.acmeJobs, world.running].includes(id),
    );
    await pool(fuzzJobs, 10, async ([id, owner]) => {
      const header = headerOf(owner);
      await request(`${stack.url(0)}/jobs/${id}/cancel`, {
        method: 'POST',
        headers: header ? { authorization: header } : {},
      });
    });
    say(`HTTP: cancelled ${fuzzJobs.length} jobs the fuzz submitted`);
    expect(problems.report(), REPLAY).toEqual([]);
  });

  it('answers every random subscribe and unsubscribe with a coded ack, and survives unknown events', async () => {
    const rng = new Rng(SEED ^ 0x50c4e7);
    const maker = new SocketCaseMaker(rng, world);
    const cases = Array.from({ length: SOCKET_CASES }, (_, i) => maker.make(i));
    const problems = new Problems();
    const kinds = new Tally();
    const answers = new Tally();
    const token = world.credentials.alice?.token;
    let largestAck = 0;

    // Handshakes with junk credentials: refused with UNAUTHORIZED, never crashing the namespace.
    const handshakes = Array.from({ length: HANDSHAKES }, (_, i) => {
      const names = Object.keys(world.credentials);
      const auth = rng.weighted<{ label: string; token: unknown; principal: string | null }>([
        [
          3,
          () => {
            const name = rng.pick(names);
            const credential = world.credentials[name];
            return { label: name, token: credential?.token, principal: credential ? tokenPrincipal(credential) : null };
          },
        ],
        [2, () => ({ label: 'random JSON', token: randomJsonValue(rng, 2), principal: null })],
        [1, () => ({ label: 'long string', token: 'x'.repeat(rng.int(8000, 12_000)), principal: null })],
      ]);
      return { index: i, ...auth };
    });
    await pool(handshakes, 4, async (h) => {
      const socket = openSocket(stack.url(0), h.token);
      const outcome = await Promise.race([
        connected(socket).then(
          () => 'connected',
          (error: Error) => `refused: ${error.message}`,
        ),
        sleep(ACK_TIMEOUT_MS).then(() => 'no answer'),
      ]);
      socket.disconnect();
      kinds.add('handshake');
      const expected = h.principal !== null ? 'connected' : 'refused: UNAUTHORIZED';
      if (outcome !== expected) {
        problems.add(
          `handshake: ${outcome} where ${expected} was due`,
          `#${h.index} [handshake: ${h.label}] auth.token=${preview(JSON.stringify(h.token) ?? 'undefined')}`,
        );
      }
    });

    const live: RawSocket[] = [];
    for (let i = 0; i < SOCKETS; i += 1) {
      const socket = openSocket(stack.url(0), token);
      sockets.push(socket);
      await connected(socket);
      live.push(socket);
    }
    const recent = live.map(() => [] as number[]);
    const replacing: Array<Promise<RawSocket> | undefined> = [];
    /** A dropped socket is a problem; the fuzz goes on over a new one. */
    const usable = (s: number): Promise<RawSocket> => {
      const socket = live[s] as RawSocket;
      if (socket.connected) return Promise.resolve(socket);
      replacing[s] ??= (async () => {
        problems.add(
          'socket: dropped by the gateway',
          `socket ${s} after cases ${JSON.stringify(recent[s]?.slice(-10))}`,
        );
        const fresh = openSocket(stack.url(0), token);
        sockets.push(fresh);
        await connected(fresh);
        live[s] = fresh;
        replacing[s] = undefined;
        return fresh;
      })();
      return replacing[s];
    };
    await Promise.all(
      live.map(async (_, s) => {
        const mine = cases.filter((c) => c.index % SOCKETS === s);
        await pool(mine, SOCKET_CONCURRENCY, async (c) => {
          const socket = await usable(s);
          recent[s]?.push(c.index);
          kinds.add(c.kind);
          bytesSent += JSON.stringify(c.args)?.length ?? 0;
          const emitter = socket as unknown as { emit(event: string, ...args: unknown[]): void };
          if (!c.ack) {
            try {
              emitter.emit(c.event, ...c.args);
            } catch {
              answers.add('reserved (not sent)');
            }
            return;
          }
          const verdict = ackOracle(world, c.event, c.args);
          let ack: unknown;
          try {
            ack = await Promise.race([
              emitWithAck<unknown>(socket, c.event, ...c.args),
              sleep(ACK_TIMEOUT_MS).then(() => {
                throw new Error('timeout');
              }),
            ]);
          } catch (error) {
            answers.add('no ack');
            problems.add(`${c.event}: no ack within ${ACK_TIMEOUT_MS} ms`, socketReproducer(c, String(error)));
            return;
          }
          const text = JSON.stringify(ack) ?? '';
          largestAck = Math.max(largestAck, text.length);
          const answer = ack as { ok?: boolean; error?: { code?: string } };
          answers.add(`${c.event}:${answer.ok ? 'ok' : (answer.error?.code ?? '?')}`);
          const problem = ackProblem(c.event, verdict, ack);
          if (problem) problems.add(problem, socketReproducer(c, text));
          if (STACK_TRACE.test(text) && !STACK_TRACE.test(JSON.stringify(c.args) ?? '')) {
            problems.add(`${c.event}: stack trace or source path in an ack`, socketReproducer(c, text));
          }
        });
      }),
    );
    // Every socket is still there and still answers.
    for (const [s, socket] of live.entries()) {
      if (!socket.connected) {
        problems.add(
          'socket: dropped by the gateway',
          `socket ${s} after cases ${JSON.stringify(recent[s]?.slice(-10))}`,
        );
        continue;
      }
      const ack = await emitWithAck(socket, 'subscribe', { jobId: world.aliceJobs[0] });
      if (!ack.ok) problems.add('socket: no longer serves a valid subscribe', `socket ${s}: ${JSON.stringify(ack)}`);
      socket.disconnect();
    }
    say(
      `Socket.IO: ${kinds.total} inputs; by kind: ${kinds.toString()}; answers: ${answers.toString()}; largest ack ${largestAck} B`,
    );
    expect(problems.report(), REPLAY).toEqual([]);
  });

  it('survives raw garbage Engine.IO and Socket.IO frames, and answers well-formed packets by hand', async () => {
    const rng = new Rng(SEED ^ 0x7a11);
    const maker = new SocketCaseMaker(rng, world);
    const problems = new Problems();
    const kinds = new Tally();
    const endings = new Tally();
    const token = world.credentials.alice?.token;
    const plans = Array.from({ length: RAW_CONNECTIONS }, (_, i) => {
      const structured = i % 2 === 0;
      if (structured) {
        // Well-formed packets with junk inside: every ack id must be answered, the connection kept.
        // Sequential ids from 1000 up, and now and then (once each) an id at an edge of the number range.
        let nextId = rng.int(1000, 5000);
        const edges = ['0', '007', '4294967296', '9007199254740993', '99999999999999999999'];
        const packets = Array.from({ length: rng.int(20, 60) }, () => {
          const c = maker.make(i, false);
          const edge =
            rng.chance(0.15) && edges.length > 0 ? edges.splice(rng.int(0, edges.length - 1), 1)[0] : undefined;
          const id = edge ?? String((nextId += 1));
          return { c, id: c.ack ? id : undefined };
        });
        return {
          index: i,
          structured,
          packets,
          frames: [] as Array<{ label: string; frame: string | Buffer }>,
          connect: true,
        };
      }
      const frames = Array.from({ length: rng.int(10, 40) }, () => garbageFrame(rng));
      return { index: i, structured, packets: [], frames, connect: rng.chance(0.85) };
    });
    await pool(plans, RAW_CONCURRENCY, async (plan) => {
      const conn = await RawEngineSocket.open(port);
      let sent = '';
      try {
        if (plan.connect) {
          const answer = await conn.connectNamespace({ token });
          if (!answer?.startsWith('40/jobs,')) {
            problems.add(
              'raw: namespace connect with a valid token refused',
              `connection ${plan.index}: ${preview(answer)}`,
            );
            return;
          }
        }
        if (plan.structured) {
          const expected = new Map<string, (typeof plan.packets)[number]>();
          for (const packet of plan.packets) {
            kinds.add(`raw ${packet.c.kind}`);
            const text = JSON.stringify([packet.c.event, ...packet.c.args]);
            bytesSent += text.length;
            sent += text;
            conn.send(`42/jobs,${packet.id ?? ''}${text}`);
            if (packet.id !== undefined) {
              const canonical = String(Number(packet.id));
              if (!expected.has(canonical)) expected.set(canonical, packet);
            }
          }
          const acks = new Map<string, unknown>();
          const collect = () => {
            for (const frame of conn.frames) {
              const match = /^43\/jobs,(\d+)(.*)$/s.exec(frame);
              if (!match?.[1] || acks.has(match[1])) continue;
              try {
                acks.set(match[1], (JSON.parse(match[2] ?? '') as unknown[])[0]);
              } catch {
                acks.set(match[1], `unparsable: ${match[2] ?? ''}`);
              }
            }
            return acks.size >= expected.size;
          };
          await conn.waitFor(collect, ACK_TIMEOUT_MS);
          collect();
          if (conn.closeCode !== undefined) {
            problems.add(
              'raw: well-formed packets got the connection closed',
              `connection ${plan.index} closed ${conn.closeCode} after ${plan.packets.map((p) => `#${p.c.index}`).join(' ')}`,
            );
          }
          for (const [id, packet] of expected) {
            const ack = acks.get(id);
            const reproducer = socketReproducer(packet.c, JSON.stringify(ack) ?? 'no ack').replace(
              /^#\d+/,
              `raw ack id ${packet.id}`,
            );
            if (ack === undefined) {
              problems.add(`raw ${packet.c.event}: no ack`, reproducer);
              continue;
            }
            const problem = ackProblem(packet.c.event, ackOracle(world, packet.c.event, packet.c.args), ack);
            if (problem) problems.add(`raw ${problem}`, reproducer);
          }
          endings.add(conn.closeCode === undefined ? 'structured: open' : `structured: closed ${conn.closeCode}`);
        } else {
          for (const { label, frame } of plan.frames) {
            kinds.add(`raw garbage: ${label}`);
            bytesSent += frame.length;
            sent += typeof frame === 'string' ? frame : frame.toString('latin1');
            conn.send(frame);
            if (!conn.isOpen) break;
          }
          await conn.waitFor(() => conn.closeCode !== undefined, 300);
          endings.add(conn.closeCode === undefined ? 'garbage: left open' : `garbage: closed ${conn.closeCode}`);
        }
        for (const frame of conn.frames) {
          // Answers may echo what was sent (unknown keys, ids): only what the gateway added counts.
          if (STACK_TRACE.test(frame) && !STACK_TRACE.test(sent))
            problems.add(
              'raw: stack trace or source path in a frame',
              `connection ${plan.index}: ${preview(frame, 300)}`,
            );
        }
      } finally {
        conn.close();
      }
    });
    say(
      `raw WebSocket: ${RAW_CONNECTIONS} connections, ${kinds.total} frames; by kind: ${kinds.toString()}; endings: ${endings.toString()}`,
    );
    expect(problems.report(), REPLAY).toEqual([]);
  });

  it('answers every random plain WebSocket frame with one coded answer, and keeps the socket open', async () => {
    const rng = new Rng(SEED ^ 0x3b5);
    const problems = new Problems();
    const kinds = new Tally();
    const token = world.credentials.alice?.token ?? '';
    const url = `ws://127.0.0.1:${port}/ws`;
    const anId = (): string => {
      const text = rng.weighted<string>([
        [4, () => JSON.stringify(randomText(rng, 20))],
        [1, () => JSON.stringify('x'.repeat(rng.pick([64, 65, 1000])))],
        [2, () => rng.pick(NUMBER_LITERALS)],
        [1, () => rng.pick(['null', 'true', '[]', '{}', '{"__proto__":"x"}', '["a"]'])],
      ]);
      return text;
    };
    const frame = (): WsFrame => {
      const jobId = JSON.stringify(
        rng.pick([world.running, ...world.aliceJobs, ...world.bobJobs, randomText(rng, 70)]),
      );
      return rng.weighted<WsFrame>([
        [3, () => ({ kind: 'not JSON', text: brokenJsonText(rng, '{"type":"ping","id":"a"}') })],
        [3, () => ({ kind: 'random JSON', text: randomJsonText(rng, 4) })],
        [1, () => ({ kind: 'binary', binary: rng.bytes(rng.int(0, 200)) })],
        [
          1,
          () => ({
            kind: 'deeply nested',
            text: `{"type":"ping","id":"d","x":${deepJsonText(2000, rng.pick(['array', 'object']))}}`,
          }),
        ],
        [2, () => ({ kind: 'unknown type', text: `{"type":${JSON.stringify(randomText(rng, 12))},"id":${anId()}}` })],
        [
          2,
          () => ({
            kind: 'prototype-named keys',
            text: `{"type":"subscribe","jobId":${jobId},${JSON.stringify(rng.pick(NASTY_KEYS))}:${randomJsonText(rng, 2)}}`,
          }),
        ],
        [3, () => ({ kind: 'ping with odd id', text: `{"type":"ping","id":${anId()}}` })],
        [
          4,
          () => ({
            kind: 'subscribe',
            text: `{"type":"subscribe","id":${anId()},"jobId":${jobId}${rng.chance(0.5) ? `,"afterSeq":${rng.pick(NUMBER_LITERALS)}` : ''}}`,
          }),
        ],
        [2, () => ({ kind: 'unsubscribe', text: `{"type":"unsubscribe","id":${anId()},"jobId":${jobId}}` })],
        [
          2,
          () => {
            const text = `{"type":"subscribe","id":"frag","jobId":${jobId}}`;
            const cut = rng.int(1, text.length - 1);
            return { kind: 'fragmented', pieces: [text.slice(0, cut), text.slice(cut)] };
          },
        ],
      ]);
    };
    const plans = Array.from({ length: 24 * SCALE }, (_, index) => ({
      index,
      beforeAuth: Array.from({ length: rng.int(1, 5) }, frame),
      afterAuth: Array.from({ length: rng.int(10, 40) }, frame),
      oversized: index % 8 === 0,
    }));
    await pool(plans, 4, async (plan) => {
      const socket = new WebSocket(url, ['jobcast.v1']);
      const answers: Array<Record<string, unknown>> = [];
      let closeCode: number | undefined;
      socket.on('message', (data) => answers.push(JSON.parse((data as Buffer).toString()) as Record<string, unknown>));
      const closed = new Promise<void>((resolve) =>
        socket.once('close', (code) => {
          closeCode = code;
          resolve();
        }),
      );
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const send = (f: ReturnType<typeof frame>): void => {
        kinds.add(`ws ${f.kind}`);
        if (f.binary) socket.send(f.binary, { binary: true });
        else if (f.pieces) {
          socket.send(f.pieces[0] as string, { fin: false });
          socket.send(f.pieces[1] as string, { fin: true });
        } else socket.send(f.text as string);
        bytesSent += f.text?.length ?? f.binary?.length ?? 0;
      };
      const answered = async (count: number): Promise<boolean> => {
        const deadline = Date.now() + ANSWER_TIMEOUT_MS;
        while (answers.filter((answer) => answer.type !== 'events').length < count) {
          if (Date.now() > deadline || closeCode !== undefined) return false;
          await sleep(20);
        }
        return true;
      };
      try {
        for (const f of plan.beforeAuth) send(f);
        socket.send(JSON.stringify({ type: 'auth', token }));
        for (const f of plan.afterAuth) send(f);
        const expected = plan.beforeAuth.length + 1 + plan.afterAuth.length;
        if (!(await answered(expected))) {
          problems.add(
            'ws: a frame went unanswered or the socket closed',
            `connection ${plan.index}: close ${closeCode}, ${answers.length} answers to ${expected} frames: ${preview(JSON.stringify(answers.slice(-3)))}`,
          );
          return;
        }
        const replies = answers.filter((answer) => answer.type !== 'events');
        for (const [at, answer] of replies.entries()) {
          const known = ['error', 'subscribed', 'unsubscribed', 'pong', 'welcome'].includes(String(answer.type));
          const code = (answer.error as { code?: unknown } | undefined)?.code;
          if (!known || (answer.type === 'error' && !ERROR_CODES.has(String(code)))) {
            problems.add(
              'ws: an answer of an unknown shape',
              `connection ${plan.index} #${at}: ${preview(JSON.stringify(answer))}`,
            );
          }
          if ('id' in answer && (typeof answer.id !== 'string' || answer.id.length > 64)) {
            problems.add(
              'ws: an echoed id that is not a short string',
              `connection ${plan.index}: ${preview(JSON.stringify(answer))}`,
            );
          }
          if (
            at < plan.beforeAuth.length &&
            !(answer.type === 'error' && ['UNAUTHORIZED', 'VALIDATION_FAILED'].includes(String(code)))
          ) {
            problems.add(
              'ws: a request before auth was not refused',
              `connection ${plan.index}: ${preview(JSON.stringify(answer))}`,
            );
          }
        }
        if (plan.oversized) {
          socket.send(JSON.stringify({ type: 'ping', padding: 'x'.repeat(20_000) }));
          await Promise.race([closed, sleep(ANSWER_TIMEOUT_MS)]);
          if (closeCode !== 1009)
            problems.add('ws: an oversized message did not close with 1009', `connection ${plan.index}: ${closeCode}`);
        }
      } finally {
        socket.terminate();
      }
    });
    say(`plain WebSocket frames: ${kinds.total} (${kinds.toString()})`);
    expect(problems.report(), REPLAY).toEqual([]);
  });

  it('is still the same process afterwards, with bounded memory and no leaked watches, and serves a normal client', async () => {
    expect((await request(`${stack.url(0)}/healthz`)).status).toBe(200);
    expect(isAlive(pid), `gateway pid ${pid} is gone; ${REPLAY}`).toBe(true);
    expect(stack.stack.gateways[0]?.pid, `the gateway was restarted; ${REPLAY}`).toBe(pid);
    const rss = rssBytes(pid);
    say(
      `RSS ${(baselineRss / 2 ** 20).toFixed(1)} → ${(rss / 2 ** 20).toFixed(1)} MB ` +
        `(+${((rss - baselineRss) / 2 ** 20).toFixed(1)} MB) after sending ${(bytesSent / 2 ** 20).toFixed(1)} MB`,
    );
    expect(rss - baselineRss, `RSS grew from ${baselineRss} to ${rss} bytes; ${REPLAY}`).toBeLessThan(RSS_GROWTH_LIMIT);

    // Every socket and stream the fuzz opened is closed: the gateway's gauges must come back down.
    const alice = world.credentials.alice?.token ?? '';
    await request(`${stack.url(0)}/jobs/${world.running}/cancel`, { method: 'POST', token: alice });
    let openSockets = Number.NaN;
    let openPlainSockets = Number.NaN;
    let openWatches = Number.NaN;
    for (let i = 0; i < 50; i += 1) {
      openSockets = await gauge(stack.url(0), 'jobcast_sockets_connected');
      openPlainSockets = await gauge(stack.url(0), 'jobcast_plain_websockets_connected');
      openWatches = await gauge(stack.url(0), 'jobcast_subscriptions');
      if (
        openSockets === baselineSockets &&
        openPlainSockets === baselinePlainSockets &&
        openWatches === baselineWatches
      )
        break;
      await sleep(100);
    }
    expect({ openSockets, openPlainSockets, openWatches }, `gauges after the fuzz; ${REPLAY}`).toEqual({
      openSockets: baselineSockets,
      openPlainSockets: baselinePlainSockets,
      openWatches: baselineWatches,
    });

    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 5, intervalMs: 20 } });
    const socket = openSocket(stack.url(0), alice);
    sockets.push(socket);
    await connected(socket);
    const watcher = new EventCollector(socket, job.id);
    expect((await watcher.subscribe()).ok).toBe(true);
    const events = await watcher.waitFor(undefined, 30_000);
    expect(events.map((event) => event.type)).toEqual([
      'queued',
      'started',
      'progress',
      'progress',
      'progress',
      'progress',
      'progress',
      'completed',
    ]);
    expect(seqs(events)).toEqual(range(1, 8));
  });
});
