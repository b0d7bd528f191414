import type { JobEvent, SubscribeAck } from '@jobcast/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eStack, signToken } from '../support/e2e-stack';
import { parseSse, request, submitJob, waitForEnd } from '../support/http-api';
import {
  EventCollector,
  connected,
  openSocket,
  outline,
  range,
  seqs,
  subscribeRaw,
  type RawSocket,
} from '../support/raw-socket';
import { expectCompleteSequence } from '../support/watchers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('on a 3-master Redis Cluster', () => {
  const stack = new E2eStack({ gateways: 2, workers: 1, clusterMasters: 3 });
  let token: string;
  /** One plain connection per master, to look at where keys live and to break connections. */
  let masters: Redis[] = [];
  const sockets: RawSocket[] = [];
  const jobIds: string[] = [];

  async function submit(payload: Record<string, unknown>, gateway = 0): Promise<string> {
    const job = await submitJob(stack.url(gateway), token, { type: 'demo.steps', payload });
    jobIds.push(job.id);
    return job.id;
  }

  async function rawWatch(jobId: string, gateway: number): Promise<EventCollector> {
    const collector = await subscribeRaw(stack.url(gateway), token, jobId);
    sockets.push(collector.socket);
    expect(collector.ack?.ok).toBe(true);
    return collector;
  }

  beforeAll(async () => {
    await stack.start();
    token = await signToken('alice');
    // Quiet while the masters are restarted: they reconnect on their own.
    masters = (stack.stack.redisCluster?.ports ?? []).map((port) => new Redis(port).on('error', () => undefined));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    for (const master of masters) master.disconnect();
    await stack.stop();
  });

  it('starts a healthy 3-master cluster and both gateways on it', async () => {
    expect(masters).toHaveLength(3);
    for (const master of masters) {
      expect(await master.call('CLUSTER', 'INFO')).toContain('cluster_state:ok');
    }
    expect(stack.stack.env.REDIS_CLUSTER_NODES?.split(',')).toHaveLength(3);
    for (const gateway of [0, 1]) expect((await request(`${stack.url(gateway)}/readyz`)).status).toBe(200);
  });

  it('fans one job out to both gateways: the same sequence 1..n on each', async () => {
    const jobId = await submit({ steps: 8, intervalMs: 60 }, 1);
    const [onA, onB] = await Promise.all([rawWatch(jobId, 0), rawWatch(jobId, 1)]);
    await Promise.all([onA.waitFor(), onB.waitFor()]);
    expect(onA.events.map((event) => event.type)).toEqual([
      'queued',
      'started',
      ...Array<string>(8).fill('progress'),
      'completed',
    ]);
    expect(seqs(onA.events)).toEqual(range(1, 11));
    expect(onB.events).toEqual(onA.events);
  });

  it('resumes with afterSeq on the other gateway with exactly the rest', async () => {
    const jobId = await submit({ steps: 20, intervalMs: 40 });
    const first = await rawWatch(jobId, 0);
    await first.waitFor((event) => event.seq >= 6);
    first.socket.disconnect();
    const before = [...first.events];
    const socket = openSocket(stack.url(1), token);
    sockets.push(socket);
    await connected(socket);
    const rest = new EventCollector(socket, jobId);
    expect((await rest.subscribe(before.at(-1)?.seq)).ok).toBe(true);
    const after = await rest.waitFor();
    expect(after[0]?.seq).toBe((before.at(-1)?.seq ?? 0) + 1);
    expect(seqs([...before, ...after])).toEqual(range(1, 23));
    expectCompleteSequence([...before, ...after]);
  });

  it('gives a late subscriber the snapshot and the whole log after the job ended', async () => {
    const jobId = await submit({ steps: 3, intervalMs: 10 });
    await waitForEnd(stack.url(0), token, jobId);
    const late = await rawWatch(jobId, 1);
    const { snapshot, events } = late.ack as Extract<SubscribeAck, { ok: true }>;
    expect(snapshot).toMatchObject({ id: jobId, status: 'completed', percent: 100, lastSeq: 6, result: { steps: 3 } });
    expect(outline(events)).toEqual(['1:queued', '2:started', '3:progress', '4:progress', '5:progress', '6:completed']);
  });

  it('cancels a running job from the other gateway: its watcher ends with cancelled', async () => {
    const jobId = await submit({ steps: 100, intervalMs: 50 });
    const watcher = await rawWatch(jobId, 1);
    await watcher.waitFor((event) => event.type === 'progress');
    const cancel = await request<{ status: string }>(`${stack.url(0)}/jobs/${jobId}/cancel`, {
      method: 'POST',
      token,
    });
    expect(cancel.status).toBe(202);
    expectCompleteSequence(await watcher.waitFor(), 'cancelled');
    expect(await waitForEnd(stack.url(1), token, jobId)).toMatchObject({ status: 'cancelled' });
  });

  it('streams a job over SSE, and resumes it with Last-Event-ID on the other gateway', async () => {
    const jobId = await submit({ steps: 6, intervalMs: 30 });
    const whole = parseSse((await request<string>(`${stack.url(1)}/jobs/${jobId}/events`, { token })).body);
    expect(whole.map((frame) => Number(frame.id))).toEqual(range(1, 9));
    expectCompleteSequence(whole.map((frame) => frame.data));
    const rest = parseSse(
      (await request<string>(`${stack.url(0)}/jobs/${jobId}/events`, { token, headers: { 'last-event-id': '5' } }))
        .body,
    );
    expect(rest.map((frame) => frame.data)).toEqual(whole.slice(5).map((frame) => frame.data));
  });

  it("loses no event when every master drops the gateways' sharded subscriber connections mid-job", async () => {
    const jobId = await submit({ steps: 30, intervalMs: 30 });
    const watchers = [await rawWatch(jobId, 0), await rawWatch(jobId, 1)];
    await watchers[0]?.waitFor((event) => event.type === 'started');
    let kills = 0;
    const finished = (events: readonly JobEvent[]) => events.at(-1)?.type === 'completed';
    // The job runs ~1 s; a watcher that missed an event for good would keep this loop going for ever.
    const deadline = Date.now() + 15_000;
    while (!watchers.every((watcher) => finished(watcher.events)) && Date.now() < deadline) {
      for (const master of masters) kills += Number(await master.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
      await sleep(40);
    }
    expect(kills).toBeGreaterThan(3);
    for (const watcher of watchers) expectCompleteSequence(watcher.events);
    expect(watchers[1]?.events).toEqual(watchers[0]?.events);
  });

  it('restart every master mid-job: readiness drops, then the watchers on both gateways finish', async () => {
    const jobId = await submit({ steps: 40, intervalMs: 50 });
    const watchers = [await rawWatch(jobId, 0), await rawWatch(jobId, 1)];
    await watchers[0]?.waitFor((event) => event.seq >= 5);
    const nodes = stack.stack.redisCluster?.nodes ?? [];
    await Promise.all(nodes.map((node) => node.stop()));
    expect((await request(`${stack.url(0)}/readyz`)).status).toBe(503);
    await sleep(1000);
    await Promise.all(nodes.map((node) => node.start()));
    await stack.stack.redisCluster?.waitUntilOk();
    // The backlog that piles up meanwhile may reach a watcher conflated (fromSeq), so only completeness counts.
    for (const watcher of watchers) expectCompleteSequence(await watcher.waitFor());
    for (const gateway of [0, 1]) expect((await request(`${stack.url(gateway)}/readyz`)).status).toBe(200);
  });

  it("spreads jobs over several masters, each job's keys in one slot, a job type's queue on one master", async () => {
    for (let i = 0; i < 6; i += 1) await submit({ steps: 1, intervalMs: 0 });
    const mastersOfJob = new Map<string, Set<number>>();
    const queueMasters = new Set<number>();
    for (const [index, master] of masters.entries()) {
      for (const key of await master.keys('jobcast:job:*')) {
        const jobId = /\{([^}]+)\}/.exec(key)?.[1] ?? '';
        mastersOfJob.set(jobId, (mastersOfJob.get(jobId) ?? new Set()).add(index));
      }
      if ((await master.keys('{jobcast:queue:demo.steps}:*')).length > 0) queueMasters.add(index);
    }
    for (const jobId of jobIds) expect([...(mastersOfJob.get(jobId) ?? [])]).toHaveLength(1);
    const used = new Set(jobIds.flatMap((jobId) => [...(mastersOfJob.get(jobId) ?? [])]));
    expect(used.size).toBeGreaterThan(1);
    const admin = masters[0] as Redis;
    const slots = await Promise.all(
      jobIds.map((jobId) => admin.call('CLUSTER', 'KEYSLOT', `jobcast:job:{${jobId}}:log`)),
    );
    expect(new Set(slots).size).toBeGreaterThan(1);
    expect(queueMasters.size).toBe(1);
    // The owner's index (a key of its own) lists every job, wherever its keys live.
    const listed = await request<{ jobs: Array<{ id: string }> }>(`${stack.url(1)}/jobs?limit=100`, { token });
    expect(listed.body.jobs.map((job) => job.id).sort()).toEqual([...jobIds].sort());
  });
});
