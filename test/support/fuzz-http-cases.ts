/**
 * Random HTTP requests for a gateway, each with what the contract says its answer must be when the input is
 * clean enough to tell: made by route (submit, list, get, cancel, events …), then given a caller and headers.
 */
import { DevTokenRequestSchema, ErrorCode, SubmitJobRequestSchema } from '@jobcast/contracts';
import { gzipSync } from 'node:zlib';
import { SHIPPED_JOB_TYPES } from '../../apps/worker/src/job-types';
import {
  ALPHABETS,
  NASTY_KEYS,
  NUMBER_LITERALS,
  brokenJsonText,
  deepJsonText,
  headerSafe,
  pathEncode,
  randomJsonText,
  randomJsonValue,
  randomText,
  words,
  type Rng,
} from './fuzz-inputs';
import { tokenPrincipal, type FuzzWorld } from './fuzz-world';

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

const ODD_CONTENT_TYPES = [
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'multipart/form-data; boundary=xyz',
  '',
  ...words('text/plain application/x-www-form-urlencoded application/merge-patch+json */*'),
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'PURGE'];

export type Route =
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

export type Expectation = { code: string } | { accepted: true } | { owned: true };

export interface HttpCase {
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

/** Which route Express would give a request to (paths match undecoded, case-insensitively, `/x/` = `/x`). */
export function routeOf(method: string, target: string): Route {
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

/** Small payloads for each job type, so accepted fuzz jobs cost the worker next to nothing. */
export function cheapPayload(rng: Rng, type: string): Record<string, unknown> {
  if (type === 'hash.sha256') return { sizeMb: 1, seed: randomText(rng, 20) };
  if (type === 'text.wordcount') return { words: rng.int(1, 2000), seed: rng.int(0, 9), top: rng.int(1, 5) };
  return { steps: rng.int(1, 3), intervalMs: rng.int(0, 20) };
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What the contract says a submit body must get, for a caller with a valid token. */
export function submitOracle(body: unknown): { code: string } | { accepted: true; costly: boolean } {
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

export class HttpCaseMaker {
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
