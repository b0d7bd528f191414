import type { JobSnapshot, JobTypeInfo } from '@jobcast/contracts';
import { JobTypeDirectory, MAX_REGISTERED_JOB_TYPES } from '@jobcast/job-types';
import { ManagedProcess } from '@jobcast/local-stack';
import { RedisKeys } from '@jobcast/redis';
import { createWorker, defineJobType, z, type JobcastWorker } from '@jobcast/worker';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eStack, signToken } from '../support/e2e-stack';
import { eventually, sleep } from '../support/eventually';
import { request, submitJob, waitForEnd } from '../support/http-api';
import { expectCompleteSequence, watchWithClient } from '../support/watchers';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
const THUMBNAILS = 'acme.thumbnails';
const goodPayload = { url: 'https://example.com/cat.png', widths: [64, 128, 256] };

/**
 * Job types registered at run time: a project outside this repository installs the packed @jobcast/worker,
 * and every running gateway accepts its job type within seconds; queues per type; what happens when a
 * type's workers go away; conflicts; bounds.
 */
describe('your own job types', () => {
  const stack = new E2eStack({ gateways: 2, env: { WORKER_HEARTBEAT: '500ms' } });
  const project = mkdtempSync(join(tmpdir(), 'jobcast-own-job-types-'));
  let packed: { filename: string; files: Array<{ path: string }> };
  let outsideWorker: ManagedProcess;
  let token: string;

  const jobTypes = async (gateway: number): Promise<JobTypeInfo[]> =>
    (await request<{ jobTypes: JobTypeInfo[] }>(`${stack.url(gateway)}/job-types`, { token })).body.jobTypes;
  const jobType = async (gateway: number, name: string): Promise<JobTypeInfo | undefined> =>
    (await jobTypes(gateway)).find((type) => type.name === name);

  beforeAll(async () => {
    await stack.start();
    token = await signToken('alice');
    // What a user gets from the registry: the packed tarball, installed into a project of its own.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], {
      cwd: join(root, 'libs/worker'),
    });
    packed = (JSON.parse(stdout) as Array<typeof packed>)[0] as typeof packed;
    cpSync(join(root, 'examples/own-job-types'), project, { recursive: true });
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(project, packed.filename)], {
      cwd: project,
    });
    outsideWorker = new ManagedProcess({
      name: 'outside-worker',
      command: process.execPath,
      args: [join(project, 'worker.mjs')],
      env: {
        ...process.env,
        REDIS_URL: stack.stack.redisUrl,
        WORKER_HEARTBEAT: '500ms',
        JOB_TYPE_TTL: '4s',
        SHUTDOWN_GRACE: '1000',
      },
      logFile: join(project, 'worker.log'),
      waitReady: async (worker) => {
        await eventually('the outside worker to start', () => worker.recentOutput.includes(`runs ${THUMBNAILS}`));
      },
    });
  }, 180_000);

  afterAll(async () => {
    await outsideWorker?.dispose();
    await stack.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it('packs @jobcast/worker as a package that needs nothing from this repository', async () => {
    expect(packed.files.map((file) => file.path).sort()).toEqual([
      'README.md',
      'dist/create-worker.d.ts',
      'dist/index.d.ts',
      'dist/job-type.d.ts',
      'dist/jobcast-worker.js',
      'dist/worker-options-from-env.d.ts',
      'package.json',
    ]);
    const installed = join(project, 'node_modules/@jobcast/worker');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@jobcast/'))).toEqual([]);
    expect(readFileSync(join(installed, 'dist/jobcast-worker.js'), 'utf8')).not.toMatch(/require\("@jobcast\//);
    // Its types stand alone: a TypeScript user's code checks against them, mistakes included.
    writeFileSync(
      join(project, 'check.ts'),
      `import { createWorker, defineJobType, z } from '@jobcast/worker';
const type = defineJobType({
  name: 'acme.check',
  description: 'type-checks',
  payload: z.object({ n: z.number() }),
  async run({ payload, log, progress }) {
    const n: number = payload.n;
    progress({ current: n, total: 10 }, { stage: 'counting' });
    // @ts-expect-error: not a log level
    log('loud', 'no');
    return n;
  },
});
// @ts-expect-error: a payload field the schema does not have
defineJobType({ name: 'acme.bad', description: '', payload: z.object({ n: z.number() }), run: async ({ payload }) => payload.m });
void createWorker({ jobTypes: [type], concurrency: 2 }).then((worker) => worker.close());
`,
    );
    // skipLibCheck, as most projects have it: a declaration of ours that failed to resolve would turn the types
    // checked here into `any`, and the @ts-expect-error lines above would then fail as unused.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', noEmit: true, types: [], skipLibCheck: true },
        files: ['check.ts'],
      }),
    );
    // Not execFileSync: a blocked event loop would let the gateways close the test's idle keep-alive sockets
    // under it.
    const checked = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project]).catch(
      (error: { stdout: string }) => error,
    );
    expect(checked.stdout).toBe('');
  });

  it('a worker started while the gateways run: both accept its type within seconds, check payloads, and run it', async () => {
    expect((await submitFor(0, THUMBNAILS, goodPayload)).status).toBe(400);
    const started = Date.now();
    await outsideWorker.start();
    for (const gateway of [0, 1]) {
      const type = await eventually(`gateway ${gateway} to list ${THUMBNAILS}`, () => jobType(gateway, THUMBNAILS));
      expect(type).toMatchObject({
        description: 'Renders thumbnails of an image at several widths.',
        attempts: 3,
        workers: 1,
        payloadSchema: { type: 'object', required: ['url', 'widths'], additionalProperties: false },
      });
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const gateway of [0, 1]) {
      const bad = await submitFor(gateway, THUMBNAILS, { url: 'https://example.com/cat.png', widths: [8] });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
    const job = await submitJob(stack.url(1), token, { type: THUMBNAILS, payload: goodPayload });
    const watcher = watchWithClient([stack.url(0)], token, job.id);
    const end = await watcher.done;
    watcher.client.close();
    expectCompleteSequence(watcher.events);
    expect(watcher.events.filter((event) => event.type === 'progress')).toHaveLength(3);
    expect(end.data).toEqual({
      result: {
        thumbnails: [64, 128, 256].map((width) => ({ width, url: `https://example.com/cat.png?w=${width}&q=80` })),
      },
    });
  });

  it('lists every registered type with its live workers', async () => {
    const names = (await jobTypes(0)).map((type) => type.name);
    expect(names).toEqual([THUMBNAILS, 'demo.steps', 'demo.text', 'hash.sha256', 'text.wordcount']);
    expect(await jobType(0, 'demo.steps')).toMatchObject({ attempts: 3, workers: 1 });
    expect((await request(`${stack.url(0)}/job-types`)).status).toBe(401);
  });

  it("a worker only receives its own types: with a type's workers gone its jobs wait, queued, and run when one is back", async () => {
    const shipped = stack.stack.workers[0];
    await shipped?.stop();
    await eventually('demo.steps to have no worker', async () => (await jobType(0, 'demo.steps'))?.workers === 0);
    const waiting = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 2, intervalMs: 10 } });
    // The outside worker runs, idle, and never takes it.
    await sleep(1500);
    expect((await request<JobSnapshot>(`${stack.url(0)}/jobs/${waiting.id}`, { token })).body.status).toBe('queued');
    expect(outsideWorker.recentOutput).not.toContain(waiting.id);
    await shipped?.start();
    expect(await waitForEnd(stack.url(1), token, waiting.id)).toMatchObject({ status: 'completed' });
  });

  it('a registration nobody refreshes ages out: its type then answers UNKNOWN_JOB_TYPE', async () => {
    outsideWorker.kill('SIGKILL');
    await outsideWorker.exited();
    // Three missed heartbeats: no live worker, though the type is still registered.
    await eventually('the killed worker to count out', async () => (await jobType(0, THUMBNAILS))?.workers === 0);
    expect((await submitFor(0, THUMBNAILS, goodPayload)).status).toBe(202);
    // JOB_TYPE_TTL (4 s) after its last refresh, it is gone.
    await eventually('the type to age out', async () => (await jobType(1, THUMBNAILS)) === undefined, 15_000);
    const refused = await submitFor(1, THUMBNAILS, goodPayload);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'UNKNOWN_JOB_TYPE' } } });
  });

  it('two workers registering one name with different schemas: both log the conflict loudly, the newest wins', async () => {
    const logs: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(line) });
    const version = (payload: z.ZodType) =>
      defineJobType({ name: 'acme.report', description: 'report', payload, run: () => Promise.resolve(null) });
    const common = { redisUrl: stack.stack.redisUrl, logger, handleSignals: false, heartbeatMs: 300 };
    const older = await createWorker({ ...common, jobTypes: [version(z.object({ month: z.number() }))] });
    await sleep(5);
    const newer = await createWorker({ ...common, jobTypes: [version(z.object({ month: z.string() }))] });
    try {
      const conflicts = await eventually('both workers to log the conflict', () => {
        const lines = logs.filter((line) => line.includes('JOB TYPE CONFLICT'));
        return lines.length >= 2 && lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      });
      const hashes = new Set(conflicts.flatMap((line) => [line.ourSchemaHash, line.theirSchemaHash]));
      expect(hashes.size).toBe(2);
      // pino's level 50: error.
      expect(conflicts.map((line) => line.level)).toEqual([50, 50]);
      for (const worker of [older, newer]) expect(await conflictCount(worker)).toBe(1);
      // Gateways check against the newest: a string month.
      await eventually(
        'the newest schema to win',
        async () => (await submitFor(0, 'acme.report', { month: 'may' })).status === 202,
      );
      expect((await submitFor(0, 'acme.report', { month: 5 })).status).toBe(400);
    } finally {
      await Promise.all([older.close(), newer.close()]);
    }
  });

  it('refuses job types over the bounds before registering anything', async () => {
    const bad = (name: string, payload: z.ZodType = z.object({})) =>
      createWorker({
        redisUrl: stack.stack.redisUrl,
        handleSignals: false,
        jobTypes: [defineJobType({ name, description: '', payload, run: () => Promise.resolve(null) })],
      });
    await expect(bad('Not A Name')).rejects.toThrow(/job type "Not A Name": must be lower-case words/);
    await expect(bad('acme.slow', z.object({ a: z.string().regex(/^(a+)+$/) }))).rejects.toThrow(/backtrack/);
    await expect(createWorker({ jobTypes: [], concurrency: 0, handleSignals: false })).rejects.toThrow(
      /concurrency: Too small/,
    );
    // At most MAX_REGISTERED_JOB_TYPES per deployment (here a deployment of its own, by key prefix).
    const redis = new Redis(stack.stack.redisUrl);
    const directory = new JobTypeDirectory(redis, new RedisKeys('capped'));
    const now = Date.now();
    for (let i = 0; i < MAX_REGISTERED_JOB_TYPES; i += 1) {
      await directory.register({
        registration: {
          name: `filler.t${i}`,
          description: '',
          payloadSchema: {},
          schemaHash: '0123456789abcdef',
          attempts: 1,
          backoffMs: 0,
          registeredAt: now,
          registeredBy: 'filler',
        },
        now,
        workerExpiresAt: now + 60_000,
        typeExpiresAt: now + 60_000,
      });
    }
    redis.disconnect();
    await expect(
      createWorker({
        redisUrl: stack.stack.redisUrl,
        keyPrefix: 'capped',
        handleSignals: false,
        jobTypes: [
          defineJobType({ name: 'one.more', description: '', payload: z.object({}), run: () => Promise.resolve(null) }),
        ],
      }),
    ).rejects.toThrow(`at most ${MAX_REGISTERED_JOB_TYPES} job types`);
  });

  function submitFor(gateway: number, type: string, payload: unknown) {
    return request(`${stack.url(gateway)}/jobs`, { token, body: { type, payload } });
  }
});

async function conflictCount(worker: JobcastWorker): Promise<number> {
  const metric = await worker.metrics.getSingleMetric('jobcast_job_type_conflicts_total')?.get();
  return metric?.values.reduce((sum, { value }) => sum + value, 0) ?? 0;
}
