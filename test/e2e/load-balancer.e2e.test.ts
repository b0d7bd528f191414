import { connect, type ConnectionState } from '@jobcast/client';
import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { DEBIAN_PYTHON, nginxAccessLog } from '@jobcast/local-stack';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { parseSse, request, submitJob, waitForEnd } from '../support/http-api';
import { PlainClient, openPlain, refusal } from '../support/plain-websocket';
import {
  connected,
  openSocket,
  range,
  handshakeOutcome,
  seqs,
  subscribeRaw,
  type EventCollector,
} from '../support/raw-socket';
import { expectCompleteSequence } from '../support/watchers';

/** Open sockets and streams one address may hold through the load balancer, low enough to reach in a test. */
const STREAMS_PER_ADDRESS = 8;

/** A GET with the path exactly as given (fetch would normalize `//`, `..` and percent-encoding away). */
function rawGet(base: string, path: string): Promise<{ status: number; server: string; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    get({ hostname, port, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        done({ status: response.statusCode ?? 0, server: String(response.headers.server), body }),
      );
    }).on('error', fail);
  });
}

/** Runs the Python Socket.IO watcher (test/support/socketio_watch.py) against one job. */
function watchFromPython(
  baseUrl: string,
  token: string,
  jobId: string,
): Promise<{ code: number | null; events: JobEvent[]; stderr: string }> {
  const script = resolve(__dirname, '..', 'support', 'socketio_watch.py');
  return new Promise((done) => {
    execFile(
      DEBIAN_PYTHON,
      [script, baseUrl, jobId],
      { env: { ...process.env, JOBCAST_TOKEN: token }, timeout: 90_000 },
      (error, stdout, stderr) => {
        const events = stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as JobEvent);
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, events, stderr });
      },
    );
  });
}

describe('behind the nginx load balancer', () => {
  const stack = useE2eStack({ gateways: 2, lb: true, lbStreamsPerAddress: STREAMS_PER_ADDRESS });
  let token: string;

  /** The gateway (`host:port`, or `a, b` when nginx tried a before b) behind each Socket.IO long-poll so far. */
  function pollingUpstreams(): string[] {
    return (
      readFileSync(nginxAccessLog(stack.stack.logDir), 'utf8')
        .split('\n')
        // The log has the path only, no query string: a long-poll is a Socket.IO request answered 200 (a
        // WebSocket's is 101).
        .filter((line) => /"(GET|POST) \/socket\.io\/ HTTP\/1\.1" 200 /.test(line))
        .map((line) => /upstream=(.*) upstream_status=/.exec(line)?.[1] ?? 'none')
    );
  }

  /** The log files (the load balancer's access and error logs, every app's output) that hold this text. */
  function logFilesHolding(text: string): string[] {
    const logDir = stack.stack.logDir;
    return readdirSync(logDir).filter((file) => readFileSync(join(logDir, file), 'utf8').includes(text));
  }

  async function watchOverSocket(jobId: string, transports: string[]): Promise<EventCollector> {
    const collector = await subscribeRaw(stack.lbUrl(), token, jobId, { transports });
    stack.closeAtStop(collector.socket);
    return collector;
  }

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('streams a job over WebSocket, long-polling and SSE alike, each event as it happens', async () => {
    const steps = 10;
    const job = await submitJob(stack.lbUrl(), token, { type: 'demo.steps', payload: { steps, intervalMs: 100 } });
    const overSockets = Promise.all([watchOverSocket(job.id, ['websocket']), watchOverSocket(job.id, ['polling'])]);

    const stream = await fetch(`${stack.lbUrl()}/jobs/${job.id}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const reader = (stream.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let sse = '';
    let statusAtFirstProgress: string | undefined;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      sse += chunk.value;
      if (statusAtFirstProgress === undefined && sse.includes('event: progress')) {
        // Unbuffered: the first progress frame arrives while the job still runs, not with the rest at its end.
        statusAtFirstProgress = (await request<JobSnapshot>(`${stack.lbUrl()}/jobs/${job.id}`, { token })).body.status;
      }
    }
    expect(statusAtFirstProgress).toBe('active');

    const [websocket, polling] = await overSockets;
    await Promise.all([websocket.waitFor(), polling.waitFor()]);
    expect(seqs(websocket.events)).toEqual(range(1, steps + 3));
    expect(polling.events).toEqual(websocket.events);
    expect(parseSse(sse).map((frame) => frame.data)).toEqual(websocket.events);
  });

  it('keeps a long-polling client on one gateway, and when that gateway is killed resumes it on the other with every event once', async () => {
    const steps = 30;
    const job = await submitJob(stack.lbUrl(), token, { type: 'demo.steps', payload: { steps, intervalMs: 100 } });
    const client = stack.closeAtStop(
      connect({
        urls: [stack.lbUrl()],
        token,
        transports: ['polling'],
        reconnectDelayMs: 100,
        maxReconnectDelayMs: 1000,
      }),
    );
    const states: ConnectionState[] = [];
    client.onState((state) => states.push(state));
    const watch = client.watch(job.id);
    const events: JobEvent[] = [];
    watch.onEvent((event) => events.push(event));
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(5), { timeout: 20_000, interval: 20 });

    // Sticky: every poll so far, this client's and the first test's, went to the same gateway.
    const servedBy = [...new Set(pollingUpstreams())];
    expect(servedBy).toHaveLength(1);
    const ports = stack.stack.gatewayPorts.map((port) => `127.0.0.1:${port}`);
    const victim = ports.indexOf(servedBy[0] ?? '');
    expect(victim).not.toBe(-1);
    const gateway = stack.stack.gateways[victim];
    gateway?.kill('SIGKILL');
    await gateway?.exited();

    await watch.done;
    expectCompleteSequence(events);
    expect(events.at(-1)?.seq).toBe(steps + 3);
    expect(states).toContain('reconnecting');
    expect(client.state).toBe('connected');
    // The load balancer moved the client: its latest polls went to the surviving gateway.
    expect(pollingUpstreams().at(-1)).toBe(ports[1 - victim]);
  });
  it("accepts a WebSocket handshake with the page's own Origin on the load balancer's port, and no other", async () => {
    const job = await submitJob(stack.lbUrl(), token, { type: 'demo.steps', payload: { steps: 5, intervalMs: 50 } });
    // Python's Socket.IO client over WebSocket only, sending the Origin a page on the load balancer sends.
    const python = await watchFromPython(stack.lbUrl(), token, job.id);
    expect({ code: python.code, stderr: python.stderr }).toEqual({ code: 0, stderr: '' });
    expect(seqs(python.events)).toEqual(range(1, 5 + 3));

    // socket.io-client with `transports: ['websocket']`, as a browser page on the load balancer would connect.
    const withOrigin = (origin: string) =>
      stack.closeAtStop(openSocket(stack.lbUrl(), token, { transports: ['websocket'], extraHeaders: { origin } }));
    await connected(withOrigin(stack.lbUrl()));
    // Engine.IO answers every upgrade it refuses with 400, its reason in a body the client does not show.
    expect(await handshakeOutcome(withOrigin('https://evil.example'))).toEqual({ status: 400 });
    // Another port of the same host is another origin.
    expect(await handshakeOutcome(withOrigin('http://127.0.0.1:1'))).toEqual({ status: 400 });
  });

  it("routes the plain WebSocket (/ws) too, with the page's own Origin accepted and no other", async () => {
    const job = await submitJob(stack.lbUrl(), token, { type: 'demo.steps', payload: { steps: 5, intervalMs: 50 } });
    const page = stack.closeAtStop(await openPlain(stack.lbUrl(), token, { headers: { origin: stack.lbUrl() } }));
    page.send({ type: 'subscribe', id: 's1', jobId: job.id });
    expect(seqs(await page.eventsUntil(job.id))).toEqual(range(1, 5 + 3));
    for (const origin of ['https://evil.example', 'http://127.0.0.1:1']) {
      const foreign = stack.closeAtStop(new PlainClient(stack.lbUrl(), { headers: { origin } }));
      expect(await refusal(foreign)).toEqual({
        status: 403,
        body: { error: expect.objectContaining({ code: 'FORBIDDEN_ORIGIN' }) as unknown },
      });
    }
  });

  it('logs no token from a query string, at the load balancer or a gateway', async () => {
    const job = await submitJob(stack.lbUrl(), token, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
    await waitForEnd(stack.lbUrl(), token, job.id);
    const signature = token.split('.')[2] ?? '';
    const queries = [
      `access_token=${token}`,
      `afterSeq=0&access_token=${token}&access_token=${token}`,
      `ACCESS_TOKEN=${token}`,
      `%61ccess_token=${encodeURIComponent(token)}`,
      `access%5Ftoken=${token}`,
      `access_token[]=${token}`,
      `token=${token}`,
    ];
    for (const query of queries) await (await fetch(`${stack.lbUrl()}/jobs/${job.id}/events?${query}`)).text();
    const logDir = stack.stack.logDir;
    expect(readdirSync(logDir)).toEqual(expect.arrayContaining(['lb-access.log', 'lb.log', 'gateway-1.log']));
    // The requests reached the log, without their tokens.
    expect(readFileSync(nginxAccessLog(logDir), 'utf8')).toContain(`"GET /jobs/${job.id}/events HTTP/1.1" 200`);
    expect(logFilesHolding(signature)).toEqual([]);
  });

  it('refuses /metrics however its path is spelled, and hides the nginx version', async () => {
    for (const path of [
      '/metrics',
      '/METRICS',
      '/metrics/',
      '//metrics',
      '/%6Detrics',
      '/metrics?x=1',
      '/jobs/../metrics',
    ]) {
      const answer = await rawGet(stack.lbUrl(), path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect(answer.server).toBe('nginx');
    }
    // Still served on the gateways' own port, for a scraper on the internal network.
    const running = stack.stack.gateways.findIndex((gateway) => gateway.running);
    expect((await rawGet(stack.url(running), '/metrics')).body).toContain('jobcast_sockets_connected');
  });

  it('limits open sockets and streams per address, with 429 TOO_MANY_CONNECTIONS', async () => {
    // What the earlier tests left open counts too.
    stack.closeOpened();
    const job = await submitJob(stack.lbUrl(), token, { type: 'demo.steps', payload: { steps: 600, intervalMs: 100 } });
    const streams: AbortController[] = [];
    const openStream = async (): Promise<Response> => {
      const abort = new AbortController();
      streams.push(abort);
      return fetch(`${stack.lbUrl()}/jobs/${job.id}/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      });
    };
    try {
      // Earlier sockets may take a moment to be counted out.
      await vi.waitFor(
        async () => {
          const stream = await openStream();
          expect(stream.status).toBe(200);
        },
        { timeout: 10_000, interval: 200 },
      );
      while (streams.length < STREAMS_PER_ADDRESS) expect((await openStream()).status).toBe(200);
      // With its token in the query string, which nginx's own message about the refusal would otherwise log.
      const refused = await fetch(`${stack.lbUrl()}/jobs/${job.id}/events?access_token=${token}`);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: { code: 'TOO_MANY_CONNECTIONS' } });
      const socket = stack.closeAtStop(openSocket(stack.lbUrl(), token, { transports: ['websocket'] }));
      expect(await handshakeOutcome(socket)).toEqual({ status: 429 });
      const plain = stack.closeAtStop(new PlainClient(stack.lbUrl()));
      expect(await refusal(plain)).toEqual({
        status: 429,
        body: { error: expect.objectContaining({ code: 'TOO_MANY_CONNECTIONS' }) as unknown },
      });
      // Short requests are not limited.
      expect((await request(`${stack.lbUrl()}/jobs/${job.id}`, { token })).status).toBe(200);

      streams.shift()?.abort();
      await vi.waitFor(
        async () => {
          await connected(stack.closeAtStop(openSocket(stack.lbUrl(), token, { transports: ['websocket'] })));
        },
        { timeout: 10_000, interval: 200 },
      );
    } finally {
      for (const stream of streams) stream.abort();
      await request(`${stack.lbUrl()}/jobs/${job.id}/cancel`, { token, method: 'POST' });
    }
    expect(logFilesHolding(token.split('.')[2] ?? '')).toEqual([]);
  });
});
