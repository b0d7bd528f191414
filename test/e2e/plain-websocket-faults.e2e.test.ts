import { JobEventLog } from '@jobcast/job-log';
import { RedisKeys } from '@jobcast/redis';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/eventually';
import { SLOW_CONSUMER_ENV, signToken, useE2eStack } from '../support/e2e-stack';
import { submitJob } from '../support/http-api';
import { rssBytes } from '../support/processes';
import { ResumingPlainWatcher, openPlain } from '../support/plain-websocket';
import { range } from '../support/raw-socket';
import { killSubscribersUntil } from '../support/redis-faults';
import { expectCompleteSequence, received, watchWithClient, type Watcher } from '../support/watchers';

/** The flood a stopped reader faces: this many steps, each with a line of this many characters. */
const FLOOD_STEPS = 3000;
const FLOOD_LINE_CHARS = 1900;

/**
 * Socket.IO's guarantees, over plain WebSockets, under the same faults: a gateway killed or drained, Redis
 * restarted or its pub/sub connections cut, a reader that stops reading. The watchers are bare sockets
 * that resume by the rule of docs/protocol.md ("Plain WebSocket"), so what they end with is what the
 * gateways sent: every seq once.
 */
describe('plain WebSocket under faults', () => {
  const stack = useE2eStack({
    gateways: 2,
    env: SLOW_CONSUMER_ENV,
  });
  let token: string;
  const watch = (jobId: string, order: number[]): ResumingPlainWatcher =>
    stack.closeAtStop(
      new ResumingPlainWatcher(
        order.map((gateway) => stack.url(gateway)),
        token,
        jobId,
      ),
    );

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('kill -9 a gateway mid-job: its watchers resume on the other one with every event once', async () => {
    const job = await submitJob(stack.url(1), token, { type: 'demo.steps', payload: { steps: 40, intervalMs: 50 } });
    const group = [watch(job.id, [0, 1]), watch(job.id, [0, 1]), watch(job.id, [1, 0])];
    await received(group[0] as ResumingPlainWatcher, 5);
    const gateway = stack.stack.gateways[0];
    gateway?.kill('SIGKILL');
    for (const events of await Promise.all(group.map((watcher) => watcher.done))) expectCompleteSequence(events);
    expect((group[0] as ResumingPlainWatcher).closeCodes[0]).toBe(1006);
    await gateway?.exited();
    await gateway?.start();
  });

  it("the typed client over the plain WebSocket (transport: 'websocket') rides out kill -9 and a drain with every event once", async () => {
    const job = await submitJob(stack.url(1), token, { type: 'demo.steps', payload: { steps: 60, intervalMs: 50 } });
    const group = [0, 1, 0].map((first) =>
      watchWithClient([stack.url(first), stack.url(1 - first)], token, job.id, 'websocket'),
    );
    const states: string[] = [];
    group[0]?.client.onState((state, _url, notice) => states.push(notice ? `${state} ${notice.reason}` : state));
    await received(group[0] as Watcher, 5);
    const [first, second] = stack.stack.gateways;
    first?.kill('SIGKILL');
    await received(group[0] as Watcher, 20);
    await first?.exited();
    await first?.start();
    second?.kill('SIGTERM');
    await second?.exited();
    await second?.start();
    const terminal = await Promise.all(group.map((watcher) => watcher.done));
    for (const watcher of group) watcher.client.close();
    expect(terminal.map((event) => event.type)).toEqual(['completed', 'completed', 'completed']);
    for (const watcher of group) expectCompleteSequence(watcher.events);
    expect(states).toContain('reconnecting');
  });

  it('SIGTERM drain: a disconnect notice, close 4000, and the rest from the other gateway', async () => {
    const job = await submitJob(stack.url(1), token, { type: 'demo.steps', payload: { steps: 40, intervalMs: 50 } });
    const watcher = watch(job.id, [0, 1]);
    await received(watcher, 5);
    const gateway = stack.stack.gateways[0];
    gateway?.kill('SIGTERM');
    expectCompleteSequence(await watcher.done);
    expect(watcher.closeCodes[0]).toBe(4000);
    expect(watcher.notices).toEqual(['SHUTTING_DOWN']);
    await gateway?.exited();
    await gateway?.start();
  });

  it("killing the gateways' Redis subscriber connections mid-job costs no socket an event", async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 30, intervalMs: 30 } });
    const sockets = [await openPlain(stack.url(0), token), await openPlain(stack.url(1), token)];
    for (const socket of sockets) stack.closeAtStop(socket).send({ type: 'subscribe', jobId: job.id });
    const kills = await killSubscribersUntil([stack.stack.redisUrl], () =>
      sockets.every((socket) => socket.events(job.id).at(-1)?.type === 'completed'),
    );
    expect(kills).toBeGreaterThan(3);
    for (const socket of sockets) expectCompleteSequence(socket.events(job.id));
  });

  it('stop Redis mid-job for a few seconds: every socket still ends with the full sequence', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 40, intervalMs: 50 } });
    const socket = stack.closeAtStop(await openPlain(stack.url(1), token));
    socket.send({ type: 'subscribe', jobId: job.id });
    await socket.eventsUntil(job.id, (event) => event.seq >= 5);
    await stack.stack.redis?.stop();
    await sleep(2000);
    await stack.stack.redis?.start();
    expectCompleteSequence(await socket.eventsUntil(job.id));
  });

  /**
   * A job written straight into the log, as a worker would, but with large events (FLOOD_STEPS lines of
   * FLOOD_LINE_CHARS): a stopped reader must
   * fill the kernel's socket buffers (megabytes on loopback) before the gateway holds anything for it.
   */
  async function floodedJob(
    flood: (log: JobEventLog, jobId: string, line: string) => Promise<unknown>,
  ): Promise<{ jobId: string; publish: () => Promise<void> }> {
    const redis = new Redis(stack.stack.redisUrl);
    const log = new JobEventLog(redis, new RedisKeys('jobcast'), {
      ttlSeconds: 600,
      maxEvents: 100_000,
      maxAgeMs: 3_600_000,
    });
    const jobId = `flood-${Date.now()}`;
    await log.create({ id: jobId, type: 'demo.steps', owner: ':alice' });
    const publish = async (): Promise<void> => {
      for (let step = 1; step <= FLOOD_STEPS; step += 50) {
        await Promise.all(range(step, step + 49).map((n) => flood(log, jobId, `${n} ${'x'.repeat(FLOOD_LINE_CHARS)}`)));
      }
      await log.append(jobId, { type: 'completed', data: { result: null } });
      redis.disconnect();
    };
    return { jobId, publish };
  }

  function pauseReading(watcher: ResumingPlainWatcher): () => void {
    const tcp = (watcher.client as unknown as { socket: { _socket: { pause(): void; resume(): void } } }).socket
      ._socket;
    tcp.pause();
    return () => tcp.resume();
  }

  it('a reader that stops reading for a while gets conflated progress (fromSeq) and stays connected', async () => {
    const { jobId, publish } = await floodedJob((log, id, line) =>
      log.append(id, { type: 'progress', data: { percent: 50, message: line } }),
    );
    const watcher = watch(jobId, [1, 0]);
    await received(watcher, 1);
    const resume = pauseReading(watcher);
    await publish();
    resume();
    const events = await watcher.done;
    expectCompleteSequence(events);
    expect(watcher.closeCodes).toEqual([]);
    expect(events.some((event) => event.fromSeq !== undefined)).toBe(true);
    // Fewer than one event a step plus queued and completed: some steps reached it conflated.
    expect(events.length).toBeLessThan(FLOOD_STEPS + 2);
  });

  it('a reader that stops reading while log lines pile up gets 4001, with bounded gateway memory, and resumes', async () => {
    const { jobId, publish } = await floodedJob((log, id, line) =>
      Promise.all([
        log.append(id, { type: 'progress', data: { percent: 50 } }),
        log.append(id, { type: 'log', data: { level: 'info', message: line } }),
      ]),
    );
    const pid = stack.stack.gateways[1]?.pid as number;
    const rssBefore = rssBytes(pid);
    const watcher = watch(jobId, [1, 0]);
    await received(watcher, 1);
    const resume = pauseReading(watcher);
    await publish();
    // It holds at most SOCKET_MAX_PENDING_EVENTS for the stopped reader before dropping it: growth measured
    // 0.5–2.2 MiB on 2 cores. Holding the flood for it would take at least the flood's own text (5.4 MiB),
    // twice over once encoded for the socket.
    expect(rssBytes(pid) - rssBefore).toBeLessThan(FLOOD_STEPS * FLOOD_LINE_CHARS);
    resume();
    expectCompleteSequence(await watcher.done);
    expect(watcher.closeCodes[0]).toBe(4001);
    expect(watcher.notices[0]).toBe('SLOW_CONSUMER');
  });
});
