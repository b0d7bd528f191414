/**
 * Sending a fuzz HTTP case as written (no client-side normalizing), and judging its answer against the
 * contract: a coded JSON error or a valid success, never a stack trace, never another owner's job.
 */
import {
  ApiErrorBodySchema,
  ErrorCode,
  JobSnapshotSchema,
  ListJobsResponseSchema,
  SubmitJobResponseSchema,
  WatchTokenSchema,
} from '@jobcast/contracts';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { ERROR_CODES, STACK_TRACE, preview, type Problems } from './fuzz-findings';
import { routeOf, type HttpCase, type Route } from './fuzz-http-cases';
import type { FuzzWorld } from './fuzz-world';

/** How long a case may wait for its answer. */
export const ANSWER_TIMEOUT_MS = 10_000;
/** SSE streams of live jobs stay open: read this long, then hang up. */
const SSE_READ_MS = 250;

export interface HttpOutcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  error?: string;
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

export function sendHttp(agent: Agent, port: number, c: HttpCase): Promise<HttpOutcome> {
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

export function httpReproducer(c: HttpCase, outcome: HttpOutcome): string {
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

/**
 * The seq an SSE request resumes after, when it is clear from the request alone: `Last-Event-ID` when sent,
 * else the one `afterSeq`, else 0. Undefined for anything the gateway may refuse (junk, duplicates, brackets).
 */
function resumePoint(c: HttpCase): number | undefined {
  const clean = (value: string): number | undefined => (/^(0|[1-9]\d{0,14})$/.test(value) ? Number(value) : undefined);
  const header = c.headers['last-event-id'];
  if (header !== undefined) return clean(header.trim());
  const query = new URLSearchParams(c.path.split('?')[1]?.split('#')[0] ?? '');
  const keys = [...query.keys()].filter((key) => key.startsWith('afterSeq'));
  if (keys.length === 0) return 0;
  if (keys.length > 1 || keys[0] !== 'afterSeq') return undefined;
  return clean(query.get('afterSeq') ?? '');
}

export function checkHttp(c: HttpCase, outcome: HttpOutcome, world: FuzzWorld, problems: Problems): void {
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
      const jobId = c.path.split(/[?#]/)[0]?.split('/')[2] ?? '';
      // docs/protocol.md: resuming at the end of a finished job answers 204; past it is a reset (a stream).
      const lastSeq = world.endedAt.get(jobId);
      const resume = resumePoint(c);
      const due = lastSeq === undefined || resume === undefined ? undefined : resume === lastSeq ? 204 : 200;
      if (status === 204) {
        // A 204 says the job exists and has ended: only its owner may learn that.
        owns(jobId);
        if (body !== '') problems.add('HTTP: events 204 with a body', where);
        if (due === 200) problems.add('HTTP: events 204 where the job had events or a reset to stream', where);
        return;
      }
      if (status !== 200 || !String(outcome.headers?.['content-type']).startsWith('text/event-stream')) {
        problems.add('HTTP: events success that is neither an event stream nor a 204', where);
      } else if (due === 204) {
        problems.add('HTTP: events stream where resuming at the end of a finished job must answer 204', where);
      }
      for (const streamed of sseJobIds(body)) owns(streamed);
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
