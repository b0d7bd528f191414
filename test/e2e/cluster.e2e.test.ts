import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken, useE2eStack } from '../support/e2e-stack';
import { request, submitJob } from '../support/http-api';
import { deliverySuite } from './delivery.suite';
import { TRANSPORT_SUITE_ENV, transportSuite } from './transports.suite';

const MASTERS = 3;

describe(`on a ${MASTERS}-master Redis Cluster`, () => {
  const stack = useE2eStack({ gateways: 2, clusterMasters: MASTERS, env: TRANSPORT_SUITE_ENV });

  describe('what only a cluster has', () => {
    // Not the suite's users: the last test lists exactly the jobs submitted here.
    let token: string;
    /** One plain connection per master, to look at where keys live and to break connections. */
    let masters: Redis[] = [];
    const jobIds: string[] = [];

    async function submit(payload: Record<string, unknown>): Promise<string> {
      const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload });
      jobIds.push(job.id);
      return job.id;
    }

    beforeAll(async () => {
      token = await signToken('carol');
      // Quiet should a master restart: they reconnect on their own.
      masters = (stack.stack.redisCluster?.ports ?? []).map((port) =>
        stack.closeAtStop(new Redis(port).on('error', () => undefined)),
      );
    });

    it(`starts a healthy ${MASTERS}-master cluster and both gateways on it`, async () => {
      expect(masters).toHaveLength(MASTERS);
      for (const master of masters) {
        expect(await master.call('CLUSTER', 'INFO')).toContain('cluster_state:ok');
      }
      expect(stack.stack.env.REDIS_CLUSTER_NODES?.split(',')).toHaveLength(MASTERS);
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

  deliverySuite(stack);
  transportSuite(stack, {
    slowReaders: false,
    servers: () => (stack.stack.redisCluster?.ports ?? []).map((port) => `redis://127.0.0.1:${port}`),
    restart: async (whileDown) => {
      const nodes = stack.stack.redisCluster?.nodes ?? [];
      await Promise.all(nodes.map((node) => node.stop()));
      await whileDown();
      await Promise.all(nodes.map((node) => node.start()));
      await stack.stack.redisCluster?.waitUntilOk();
    },
  });
});
