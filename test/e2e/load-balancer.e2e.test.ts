import { connect, type ConnectionState, type JobcastClient } from '@jobcast/client';
import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { nginxAccessLog } from '@jobcast/local-stack';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { E2eStack, signToken } from '../support/e2e-stack';
import { parseSse, request, submitJob } from '../support/http-api';
import { range, seqs, subscribeRaw, type EventCollector, type RawSocket } from '../support/raw-socket';
import { expectCompleteSequence } from '../support/watchers';

describe('behind the nginx load balancer', () => {
  const stack = new E2eStack({ gateways: 2, workers: 1, lb: true });
  let token: string;
  const sockets: RawSocket[] = [];
  const clients: JobcastClient[] = [];

  /** The gateway (`host:port`, or `a, b` when nginx tried a before b) behind each Socket.IO long-poll so far. */
  function pollingUpstreams(): string[] {
    return readFileSync(nginxAccessLog(stack.stack.logDir), 'utf8')
      .split('\n')
      .filter((line) => /"\w+ \/socket\.io\/\?[^"]*transport=polling/.test(line))
      .map((line) => /upstream=(.*) upstream_status=/.exec(line)?.[1] ?? 'none');
  }

  async function watchOverSocket(jobId: string, transports: string[]): Promise<EventCollector> {
    const collector = await subscribeRaw(stack.lbUrl(), token, jobId, { transports });
    sockets.push(collector.socket);
    return collector;
  }

  beforeAll(async () => {
    await stack.start();
    token = await signToken('alice');
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const socket of sockets) socket.disconnect();
    await stack.stop();
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
    const client = connect({
      urls: [stack.lbUrl()],
      token,
      transports: ['polling'],
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 1000,
    });
    clients.push(client);
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
});
