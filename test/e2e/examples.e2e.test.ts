import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { E2eStack } from '../support/e2e-stack';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);

/** The README's examples are files the tests run, and the README must show them exactly as they are. */
describe('README examples', () => {
  const stack = new E2eStack({ gateways: 2, workers: 1 });
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  beforeAll(() => stack.start());
  afterAll(() => stack.stop());

  it('shows the outside project that runs its own job types as it is (job-types.e2e.test.ts runs it)', () => {
    expect(readme).toContain(readFileSync(join(root, 'examples/own-job-types/worker.mjs'), 'utf8'));
  });

  it('shows the Python service example as it is (services.e2e.test.ts runs it)', () => {
    expect(readme).toContain(readFileSync(join(root, 'examples/report-from-python.py'), 'utf8'));
  });

  it('watches a job with nothing but socket.io-client', async () => {
    const example = readFileSync(join(root, 'examples/watch-a-job.mjs'), 'utf8');
    expect(readme).toContain(example);
    const { stdout } = await run(process.execPath, [join(root, 'examples/watch-a-job.mjs')], {
      env: { ...process.env, JOBCAST_URL: stack.url(0) },
      timeout: 30_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      '1 queued',
      '2 started',
      '3 progress',
      '4 progress',
      '5 progress',
      '6 progress',
      '7 progress',
      '8 completed',
    ]);
    expect(lines.at(-1)).toBe('8 completed {"result":{"steps":5}}');
  });

  it('watches a job with the typed client across both gateways', async () => {
    const example = readFileSync(join(root, 'examples/watch-with-typed-client.mjs'), 'utf8');
    expect(readme).toContain(example);
    const { stdout } = await run(process.execPath, [join(root, 'examples/watch-with-typed-client.mjs')], {
      env: { ...process.env, JOBCAST_URLS: `${stack.url(0)},${stack.url(1)}` },
      timeout: 30_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.at(-2)).toBe('100% 16 of 16 MiB');
    expect(lines.at(-1)).toMatch(/^completed \{"result":\{"sha256":"[0-9a-f]{64}","bytes":16777216\}\}$/);
  });

  it("streams a handler's piped answer to a watcher that prints it as it comes", async () => {
    const example = readFileSync(join(root, 'examples/stream-an-answer.mjs'), 'utf8');
    expect(readme).toContain(example);
    const { stdout } = await run(process.execPath, [join(root, 'examples/stream-an-answer.mjs')], {
      env: { ...process.env, JOBCAST_URL: stack.url(0), REDIS_URL: stack.stack.redisUrl },
      timeout: 30_000,
    });
    expect(stdout).toBe('You asked: “Why stream?”. Here is the answer, word by word. 🚀\n');
  });

  it('watches a batch through one feed with the typed client', async () => {
    const example = readFileSync(join(root, 'examples/watch-a-batch.mjs'), 'utf8');
    expect(readme).toContain(example);
    const { stdout } = await run(process.execPath, [join(root, 'examples/watch-a-batch.mjs')], {
      env: { ...process.env, JOBCAST_URLS: `${stack.url(0)},${stack.url(1)}` },
      timeout: 30_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.filter((line) => line.endsWith(' completed 100%'))).toHaveLength(5);
    expect(lines.at(-1)).toBe('batch 100% {"queued":0,"active":0,"retrying":0,"completed":5,"failed":0,"cancelled":0}');
  });

  it('watches a job from Python over the plain WebSocket, and resumes on the other gateway when one drains', async () => {
    const example = readFileSync(join(root, 'examples/watch-with-python.py'), 'utf8');
    expect(readme).toContain(example);
    // Debian's python3, whose python3-websockets the README names.
    const python = spawn('/usr/bin/python3', [join(root, 'examples/watch-with-python.py')], {
      env: { ...process.env, JOBCAST_URLS: `${stack.url(0)},${stack.url(1)}` },
    });
    let stdout = '';
    let stderr = '';
    python.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    python.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => python.once('exit', resolve));
    await eventually('five lines from the Python watcher', () => stdout.split('\n').length >= 6, 30_000);
    const gateway = stack.stack.gateways[0];
    gateway?.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.map((line) => Number(line.split(' ')[0]))).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(lines.at(-1)).toBe('23 completed {"result": {"steps": 20}}');
    await gateway?.exited();
    await gateway?.start();
  });
});
