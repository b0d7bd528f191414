import type { JobSnapshot } from '@jobcast/contracts';
import { JobEventLog } from '@jobcast/job-log';
import { createRedisConnection, RedisKeys } from '@jobcast/redis';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTokens } from '../../apps/worker/src/job-types/demo-text.job';
import { outputText } from '../../tools/cli/src/terminal-text';
import { E2eStack } from '../support/e2e-stack';
import { request } from '../support/http-api';

/** The built CLI, run as a user would run `jobcast`. */
const CLI = resolve(__dirname, '..', '..', 'tools', 'cli', 'dist', 'main.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the jobcast CLI', () => {
  const stack = new E2eStack({ gateways: 2, workers: 1 });
  let token = '';

  /** The environment a user would have, without the test runner's own JOBCAST_* settings. */
  function cliEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, JOBCAST_URL: `${stack.url(0)},${stack.url(1)}` };
    delete env.JOBCAST_TOKEN;
    if (token) env.JOBCAST_TOKEN = token;
    return env;
  }

  function jobcastAs(asToken: string, ...args: string[]): Promise<CliRun> {
    return new Promise((done) => {
      const env = { ...cliEnv(), JOBCAST_TOKEN: asToken };
      execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  function jobcast(...args: string[]): Promise<CliRun> {
    return jobcastWith(cliEnv(), ...args);
  }

  function jobcastWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
    return new Promise((done) => {
      execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    await stack.start();
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('token: prints a dev token that the other commands take from JOBCAST_TOKEN', async () => {
    const run = await jobcast('token', '--sub', 'erin', '--url', stack.url(1));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    token = run.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('submit --watch: one line per event when not on a terminal, then the result; exit 0', async () => {
    const run = await jobcast(
      'submit',
      'demo.steps',
      '--payload',
      JSON.stringify({ steps: 10, intervalMs: 50, log: true }),
      '--watch',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^job [\w-]+ \(demo\.steps\)$/);
    expect(lines).toContain('queued');
    expect(lines).toContain('started (attempt 1)');
    expect(lines).toContain('[info] finished step 10');
    expect(lines).toContain('progress 100%  step  step 10 of 10');
    expect(lines.some((line) => /^progress\s+\d+%\s+step\s+step \d+ of 10\s+ETA \d/.test(line))).toBe(true);
    // No redrawing: not a terminal.
    expect(run.stdout).not.toContain('\r');
    const completedAt = lines.indexOf('completed');
    expect(completedAt).toBeGreaterThan(lines.indexOf('started (attempt 1)'));
    expect(JSON.parse(lines.slice(completedAt + 1).join('\n'))).toEqual({ steps: 10 });
  });

  it("submit --watch prints a job's output as it comes, between its lifecycle lines", async () => {
    const run = await jobcast(
      'submit',
      'demo.text',
      '--payload',
      JSON.stringify({ words: 80, wordsPerSecond: 200, seed: 6 }),
      '--watch',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Without the terminal controls the CLI never prints (the zero-width joiner of 👩‍💻 among them).
    const text = outputText([...generatedTokens(6, 80)].join(''));
    expect(run.stdout).toContain(`started (attempt 1)\n`);
    expect(run.stdout).toContain(`${text}\ncompleted\n`);
    expect(run.stdout.indexOf(text)).toBeGreaterThan(run.stdout.indexOf('started (attempt 1)'));
  });

  it('submit --watch of a failing job shows the error; exit 1', async () => {
    const run = await jobcast(
      'submit',
      'demo.steps',
      '--payload',
      JSON.stringify({ steps: 5, intervalMs: 10, failAt: 2 }),
      '--attempts',
      '1',
      '--watch',
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('failed after 1 attempt(s): demo.steps failed at step 2 on attempt 1');
    const errorAt = run.stdout.indexOf('{');
    expect(JSON.parse(run.stdout.slice(errorAt))).toEqual({
      error: expect.objectContaining({ message: 'demo.steps failed at step 2 on attempt 1' }) as unknown,
    });
  });

  it('status prints the snapshot as JSON; submit without --watch prints the job', async () => {
    const submitted = await jobcast('submit', 'demo.steps', '--payload', '{"steps":2,"intervalMs":10}');
    expect(submitted.code).toBe(0);
    const job = JSON.parse(submitted.stdout) as JobSnapshot;
    expect(job).toMatchObject({ type: 'demo.steps', status: 'queued' });
    const watched = await jobcast('watch', job.id);
    expect(watched.code).toBe(0);

    const run = await jobcast('status', job.id, '--url', stack.url(1));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: job.id,
      status: 'completed',
      percent: 100,
      result: { steps: 2 },
    } satisfies Partial<JobSnapshot>);
  });

  it('batch --watch: prints the batch id, then its progress polled to the end; jobs lists it as a table', async () => {
    const payload = JSON.stringify({ steps: 2, intervalMs: 20 });
    const run = await jobcast('batch', 'demo.steps', '--count', '5', '--payload', payload, '--tag', 'cli', '--watch');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [batchId, ...progress] = run.stdout.trimEnd().split('\n');
    expect(batchId).toMatch(/^[\w-]+$/);
    expect(progress.at(-1)).toBe('100%  completed 5  (done)');

    const table = await jobcast('jobs', '--batch', batchId as string, '--status', 'completed');
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+TYPE\s+STATUS\s+PERCENT\s+BATCH\s+TAGS\s+UPDATED$/);
    expect(rows).toHaveLength(5);
    for (const row of rows)
      expect(row).toMatch(new RegExp(`^\\S+\\s+demo\\.steps\\s+completed\\s+100%\\s+${batchId}\\s+cli\\s`));
    const json = await jobcast('jobs', '--tag', 'cli', '--json');
    expect((JSON.parse(json.stdout) as JobSnapshot[]).map((job) => job.batchId)).toEqual(Array(5).fill(batchId));
    expect(await jobcast('jobs', '--status', 'finished')).toMatchObject({ code: 3 });
    expect((await jobcast('jobs', '--status', 'finished')).stderr).toContain('VALIDATION_FAILED');
    expect((await jobcast('batch', 'demo.steps')).stderr).toContain('batch needs --count N');
    // Without --watch: the id alone.
    const quiet = await jobcast('batch', 'demo.steps', '--count', '1', '--payload', payload);
    expect(quiet.stdout).toMatch(/^[\w-]+\n$/);
  });

  it('jobs --watch --batch: a line per change (not a terminal), each job to its end, then exit as the batch did', async () => {
    const payload = JSON.stringify({ steps: 20, intervalMs: 150 });
    const submitted = await jobcast('batch', 'demo.steps', '--count', '3', '--payload', payload);
    const batchId = submitted.stdout.trim();
    const watched = await jobcast('jobs', '--watch', '--batch', batchId);
    expect(watched).toMatchObject({ code: 0, stderr: '' });
    const lines = watched.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\S+ demo\.steps (queued|active|completed) \d+%/);
    // Watched while running: the jobs' progress shows, not only their ends.
    expect(lines.some((line) => / active [1-9]\d?%/.test(line))).toBe(true);
    const finished = lines.filter((line) => / completed 100%/.test(line)).map((line) => line.split(' ')[0]);
    const { jobs } = (await request(`${stack.url(0)}/jobs?batch=${batchId}`, { token })).body as {
      jobs: JobSnapshot[];
    };
    expect(finished.sort()).toEqual(jobs.map((job) => job.id).sort());
    // Watching a batch that is already done shows its jobs once and ends at once.
    const again = await jobcast('jobs', '--watch', '--batch', batchId, '--status', 'completed');
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(await jobcast('jobs', '--watch', '--batch', batchId, '--tag', 'x')).toMatchObject({ code: 3 });
  });

  it('jobs --watch of your own jobs: prints them as they change until SIGTERM; exit 0', async () => {
    const child = spawn(process.execPath, [CLI, 'jobs', '--watch', '--type', 'demo.steps'], { env: cliEnv() });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const submitted = await jobcast('submit', 'demo.steps', '--payload', '{"steps":2,"intervalMs":20}');
    const job = JSON.parse(submitted.stdout) as JobSnapshot;
    await expect.poll(() => stdout, { timeout: 30_000 }).toContain(`${job.id} demo.steps completed 100%`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('types lists the registered job types, as text and as JSON', async () => {
    const run = await jobcast('types');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith(' '))).toEqual([
      'demo.steps  (1 worker, 3 attempts)',
      'demo.text  (1 worker, 1 attempt)',
      'hash.sha256  (1 worker, 2 attempts)',
      'text.wordcount  (1 worker, 2 attempts)',
    ]);
    expect(run.stdout).toContain('  payload: steps: integer, intervalMs: integer, failAt?: integer');
    const json = await jobcast('types', '--json');
    expect((JSON.parse(json.stdout) as Array<{ name: string }>).map((type) => type.name)).toEqual([
      'demo.steps',
      'demo.text',
      'hash.sha256',
      'text.wordcount',
    ]);
  });

  it('a service from the shell: token --scope, submit an external job, publish its events, mint a watch token', async () => {
    const service = await jobcast('token', '--sub', 'reporter', '--scope', 'jobs:publish');
    expect(service.code).toBe(0);
    const asService = (...args: string[]) => jobcastAs(service.stdout.trim(), ...args);
    const submitted = await request<{ job: JobSnapshot }>(`${stack.url(0)}/jobs`, {
      token: service.stdout.trim(),
      body: { type: 'shell.backup', external: true },
    });
    const jobId = submitted.body.job.id;
    const published = await asService(
      'publish',
      jobId,
      '--event',
      '{"type":"started","data":{"attempt":1}}',
      '--event',
      '{"type":"progress","data":{"percent":50}}',
      '--idempotency-key',
      'backup-1',
    );
    expect(published).toMatchObject({ code: 0, stdout: '3\n' });
    expect(
      await asService(
        'publish',
        jobId,
        '--event',
        '{"type":"started","data":{"attempt":1}}',
        '--idempotency-key',
        'backup-1',
      ),
    ).toMatchObject({ code: 0, stdout: '3\n' });
    const minted = await asService('watch-token', jobId);
    expect(minted.code).toBe(0);
    const { token: watchToken } = JSON.parse(minted.stdout) as { token: string };
    const status = await jobcastAs(watchToken, 'status', jobId);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: jobId, percent: 50, lastSeq: 3 });
    expect(await asService('publish', jobId, '--event', '{"type":"nope"}')).toMatchObject({ code: 3 });
  });

  it('watch of a job that is cancelled meanwhile; exit 2', async () => {
    const submitted = await jobcast('submit', 'demo.steps', '--payload', '{"steps":200,"intervalMs":100}');
    const job = JSON.parse(submitted.stdout) as JobSnapshot;
    const child = spawn(process.execPath, [CLI, 'watch', job.id], { env: cliEnv() });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/progress\s+\d+%/);
    const cancel = await request(`${stack.url(1)}/jobs/${job.id}/cancel`, { token, method: 'POST' });
    expect(cancel.status).toBe(202);
    expect(await exited).toBe(2);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^cancelled/);
  });

  it('watch or status of an unknown job: JOB_NOT_FOUND, exit 3', async () => {
    const watched = await jobcast('watch', 'no-such-job');
    expect(watched).toMatchObject({ code: 3, stdout: expect.not.stringContaining('completed') as unknown });
    expect(watched.stderr).toMatch(/^jobcast: JOB_NOT_FOUND: /);
    const status = await jobcast('status', 'no-such-job');
    expect(status.code).toBe(3);
    expect(status.stderr).toMatch(/^jobcast: JOB_NOT_FOUND: /);
  });

  it('usage errors: exit 3 with USAGE and the usage text', async () => {
    const run = await jobcast('submit', 'demo.steps', '--payload', '{not json');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^jobcast: USAGE: --payload is not JSON/);
    expect(run.stderr).toContain('Usage: jobcast <command> [options]');
    expect((await jobcast('watch')).stderr).toMatch(/^jobcast: USAGE: watch needs JOB_ID/);
    expect((await jobcast('status', 'x', '--watch')).stderr).toMatch(/--watch is not an option of status/);
  });
  it('reads the token from JOBCAST_TOKEN, --token-file or JOBCAST_TOKEN_FILE; --token works with a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobcast-cli-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
      const { JOBCAST_TOKEN: _fromEnv, ...withoutToken } = cliEnv();
      const list = ['status', 'no-such-job'];
      // JOB_NOT_FOUND, not UNAUTHORIZED: the token was read and accepted.
      for (const run of [
        await jobcastWith(withoutToken, ...list, '--token-file', file),
        await jobcastWith({ ...withoutToken, JOBCAST_TOKEN_FILE: file }, ...list),
      ]) {
        expect(run.stderr).toMatch(/^jobcast: JOB_NOT_FOUND: /);
      }
      const inArguments = await jobcastWith(withoutToken, ...list, '--token', token);
      expect(inArguments.stderr).toMatch(/^jobcast: warning: --token shows the token to every user of this machine/);
      expect(inArguments.stderr).toContain('jobcast: JOB_NOT_FOUND: ');
      const missing = await jobcastWith(withoutToken, ...list, '--token-file', join(dir, 'nope'));
      expect(missing).toMatchObject({ code: 3 });
      expect(missing.stderr).toMatch(/^jobcast: TOKEN_FILE: cannot read --token-file .*nope: ENOENT/);
      expect((await jobcastWith(withoutToken, ...list)).stderr).toMatch(/^jobcast: USAGE: status needs a token/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints job text without terminal control characters, and JSON that still parses to it', async () => {
    // A handler that logs what it was given (a file name, a URL's answer) passes on whatever it holds.
    const hostile = 'evil\x1b[2J\x1b]0;pwned\x07\u009b31m\u202etxt.exe\r\nfake line';
    const redis = createRedisConnection({ url: stack.stack.redisUrl, keyPrefix: 'jobcast' }, { name: 'cli-test' });
    const log = new JobEventLog(redis, new RedisKeys('jobcast'), {
      ttlSeconds: 600,
      maxEvents: 1000,
      maxAgeMs: 3_600_000,
    });
    const jobId = randomUUID();
    try {
      await log.create({ id: jobId, type: 'demo.steps', owner: ':erin' });
      await log.append(jobId, { type: 'started', data: { attempt: 1 } });
      await log.append(jobId, { type: 'progress', data: { percent: 50, stage: hostile, message: hostile } });
      await log.append(jobId, { type: 'log', data: { level: 'info', message: hostile } });
      await log.append(jobId, { type: 'failed', data: { error: { code: 'E', message: hostile }, attempts: 1 } });
    } finally {
      redis.disconnect();
    }
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    const unsafe = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
    const watched = await jobcast('watch', jobId);
    expect(watched.code).toBe(1);
    expect(watched.stdout).not.toMatch(unsafe);
    expect(watched.stdout).toContain('[info] evil[2J]0;pwned31mtxt.exe  fake line');
    expect(watched.stdout).not.toMatch(/^fake line/m);
    const status = await jobcast('status', jobId);
    expect(status.stdout).not.toMatch(unsafe);
    expect((JSON.parse(status.stdout) as JobSnapshot).error?.message).toBe(hostile);
  });
});
