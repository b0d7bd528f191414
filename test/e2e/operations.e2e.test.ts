import type { JobEvent } from '@jobcast/contracts';
import { appEntry, freePort } from '@jobcast/local-stack';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { eventually, sleep } from '../support/eventually';
import { parseSse, request, submitJob } from '../support/http-api';
import { rssBytes } from '../support/processes';
import { sample } from '../support/prometheus';
import { EventCollector, connected, openSocket } from '../support/raw-socket';
import { expectCompleteSequence, watchWithClient } from '../support/watchers';

/**
 * The sample once it equals `expected`, or its value after 5 s of scraping: for counters bumped just after
 * what the test saw, so the caller's assertion names the value it ended on.
 */
async function settledSample(url: string, name: string, labels: string, expected: number): Promise<number | undefined> {
  const scrape = async () => sample((await request<string>(url)).body, name, labels);
  let value = await scrape();
  for (let tries = 0; value !== expected && tries < 50; tries += 1) {
    await sleep(100);
    value = await scrape();
  }
  return value;
}

describe('operating Jobcast', () => {
  const stack = useE2eStack({ gateways: 2, env: { SHUTDOWN_GRACE: '3000' } });
  let token: string;

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('exposes Prometheus metrics on gateways and workers', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 10, intervalMs: 60 } });
    const socket = openSocket(stack.url(0), token);
    await connected(socket);
    const collector = new EventCollector(socket, job.id);
    await collector.subscribe();
    await collector.waitFor();
    const sse = parseSse((await request<string>(`${stack.url(0)}/jobs/${job.id}/events`, { token })).body);
    expect(sse).toHaveLength(13);

    const gateway = (await request<string>(`${stack.url(0)}/metrics`)).body;
    expect(sample(gateway, 'jobcast_sockets_connected')).toBe(1);
    expect(sample(gateway, 'jobcast_events_delivered_total', 'transport="socket"')).toBe(13);
    expect(sample(gateway, 'jobcast_events_delivered_total', 'transport="sse"')).toBe(13);
    // Latency is measured on live events only; the ack's backlog is history.
    const live = sample(gateway, 'jobcast_event_delivery_latency_seconds_count') ?? 0;
    expect(live).toBe(13 - (collector.ack?.ok ? collector.ack.events.length : 13));
    expect(live).toBeGreaterThan(0);
    expect((sample(gateway, 'jobcast_event_delivery_latency_seconds_sum') ?? Infinity) / live).toBeLessThan(0.5);
    expect(sample(gateway, 'jobcast_queue_jobs', 'state="waiting"')).toBe(0);
    // BullMQ marks the job completed just after the worker logs `completed`, so a scrape may be early.
    // The one job this stack has run so far.
    expect(await settledSample(`${stack.url(0)}/metrics`, 'jobcast_queue_jobs', 'state="completed"', 1)).toBe(1);
    expect(sample(gateway, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    // The gateway's own figure, as the kernel has it (give or take what it allocated between the two reads).
    const rss = rssBytes(stack.stack.gateways[0]?.pid ?? 0);
    expect(Math.abs((sample(gateway, 'process_resident_memory_bytes') ?? 0) - rss)).toBeLessThan(rss * 0.1);
    socket.disconnect();

    const workerUrl = `http://127.0.0.1:${stack.stack.workerMetricsPorts[0]}`;
    expect((await request(`${workerUrl}/healthz`)).status).toBe(200);
    expect(await request(`${workerUrl}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
    const worker = (await request<string>(`${workerUrl}/metrics`)).body;
    expect(await settledSample(`${workerUrl}/metrics`, 'jobcast_jobs_finished_total', 'status="completed"', 1)).toBe(1);
    expect(sample(worker, 'jobcast_jobs_active')).toBe(0);
  });

  it('a worker that cannot reach Redis yet is alive but not ready', async () => {
    const [metricsPort, nothingListening] = [await freePort(), await freePort()];
    const worker = spawn(process.execPath, [appEntry('worker')], {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: `redis://127.0.0.1:${nothingListening}`,
        WORKER_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    onTestFinished(() => void worker.kill('SIGKILL'));
    const workerUrl = `http://127.0.0.1:${metricsPort}`;
    await eventually('the worker to listen', () =>
      request(`${workerUrl}/healthz`).then(
        (answer) => answer.status === 200,
        () => false,
      ),
    );
    expect(await request(`${workerUrl}/readyz`)).toMatchObject({ status: 503, body: { status: 'starting' } });
    expect((await request(`${workerUrl}/metrics`)).status).toBe(503);
  });

  it('logs JSON lines with the request id and the job id', async () => {
    const job = await submitJob(stack.url(1), token, { type: 'demo.steps', payload: { steps: 1, intervalMs: 0 } });
    const answer = await request(`${stack.url(1)}/jobs/${job.id}`, { token, headers: { 'x-request-id': 'trace-42' } });
    expect(answer.headers.get('x-request-id')).toBe('trace-42');
    await sleep(200);
    const lines = readFileSync(join(stack.stack.logDir, 'gateway-2.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { req?: { id?: string }; jobId?: string; level: number; service: string });
    expect(lines.every((line) => line.service === 'gateway')).toBe(true);
    expect(lines.find((line) => line.req?.id === 'trace-42')).toMatchObject({ jobId: job.id, level: 30 });
  });

  it('a rolling restart of both gateways mid-job costs no watcher an event', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 60, intervalMs: 60 } });
    const group = [0, 1, 0, 1].map((first) => {
      const watcher = watchWithClient([stack.url(first), stack.url(1 - first)], token, job.id);
      stack.closeAtStop(watcher.client);
      return watcher;
    });
    const notices: string[] = [];
    const raw = openSocket(stack.url(0), token);
    raw.on('gateway:disconnect', (notice) => notices.push(notice.reason));
    await connected(raw);
    await new EventCollector(raw, job.id).subscribe();
    for (const gateway of stack.stack.gateways) {
      await sleep(600);
      const stoppedAt = Date.now();
      gateway.kill('SIGTERM');
      await gateway.exited();
      expect(Date.now() - stoppedAt).toBeLessThan(3000 + 1000);
      await gateway.start();
    }
    const terminal = await Promise.all(group.map((watcher) => watcher.done));
    expect(terminal.map((event: JobEvent) => event.type)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const watcher of group) expectCompleteSequence(watcher.events);
    expect(notices).toEqual(['SHUTTING_DOWN']);
    raw.disconnect();
  });
});
