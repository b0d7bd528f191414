import type { JobSnapshot } from '@jobcast/contracts';
import { freePort, isRunning, StateDirLock } from '@jobcast/local-stack';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { parseSse, request, submitJob, waitForEnd } from '../support/http-api';
import { expectCompleteSequence } from '../support/watchers';

/** Running, and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  return isRunning({ pid });
}

/** The pids of every redis-server whose data directory (its working directory) is `dir`. */
function redisServersOn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'redis-server' &&
          readlinkSync(`/proc/${pid}/cwd`) === dir &&
          isAlive(Number(pid))
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `npm start`, as a user runs it, with its output collected. */
class Launcher {
  readonly child: ChildProcess;
  private text = '';

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
  }

  get output(): string {
    return this.text;
  }

  async ready(): Promise<void> {
    await until(
      'the launcher to be up',
      () => (this.text.includes('Ctrl-C stops everything') ? true : undefined),
      120_000,
    );
  }

  /** A pid the launcher announced: `launcher`, `redis`, `gateway-1` … */
  pid(name: string): number {
    return Number(new RegExp(`^\\[jobcast\\] ${name} .*pid (\\d+)`, 'm').exec(this.text)?.[1]);
  }

  exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }
}

/** Polls `probe` every 100 ms until it answers something, for up to a minute by default. */
const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> =>
  eventually(what, probe, timeoutMs, 100);

describe('npm start: the local topology', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jobcast-launcher-'));
  let launcher: Launcher | undefined;

  afterAll(() => {
    if (launcher?.child.exitCode === null) launcher.child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('brings up redis, two gateways and two workers, restarts what dies, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    launcher = new Launcher({ PORT: String(port), GATEWAYS: '2', WORKERS: '2', JOBCAST_STATE_DIR: stateDir });
    await launcher.ready();
    const started = launcher;

    const pids = ['redis', 'gateway-1', 'gateway-2', 'worker-1', 'worker-2'].map((name) => started.pid(name));
    expect(pids.every((p) => Number.isInteger(p) && isAlive(p))).toBe(true);
    const [gatewayA, gatewayB] = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    expect(started.output).toContain(gatewayA);
    expect(started.output).toContain(gatewayB);

    const { body } = await request<{ token: string }>(`${gatewayA}/auth/dev-token`, { body: { sub: 'alice' } });
    const job = await submitJob(gatewayA, body.token, { type: 'demo.steps', payload: { steps: 2, intervalMs: 10 } });
    expect(await waitForEnd(gatewayB, body.token, job.id)).toMatchObject({ status: 'completed' });

    process.kill(started.pid('gateway-1'), 'SIGKILL');
    await until('gateway-1 to be restarted', () =>
      /gateway-1 exited \(SIGKILL\); restarting in \d+ ms/.test(started.output) ? true : undefined,
    );
    // The launcher says so once the new process answers its health check.
    const restartedPid = await until('gateway-1 to be back', () => {
      const back = /gateway-1 is back \(pid (\d+)\)/.exec(started.output)?.[1];
      return back === undefined ? undefined : Number(back);
    });
    expect(isAlive(restartedPid)).toBe(true);
    expect((await fetch(`${gatewayA}/healthz`)).ok).toBe(true);

    started.child.kill('SIGTERM');
    // npm passes the signal on and may die of it itself; the launcher under it reports when it is done.
    await until(
      'the launcher to stop everything',
      () => (started.output.includes('[jobcast] stopped') ? true : undefined),
      30_000,
    );
    for (const p of [...pids, restartedPid])
      await until(`pid ${p} to be gone`, () => (isAlive(p) ? undefined : true), 15_000);
    await expect(fetch(`${gatewayB}/healthz`)).rejects.toThrow();
  });
});

describe('npm start after its launcher was killed', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jobcast-launcher-'));
  const launchers: Launcher[] = [];
  let port = 0;
  const env = (): NodeJS.ProcessEnv => ({
    PORT: String(port),
    GATEWAYS: '1',
    WORKERS: '1',
    // The killed launcher's worker hands its running job back quickly.
    SHUTDOWN_GRACE: '1s',
    JOBCAST_STATE_DIR: stateDir,
  });
  const start = (): Launcher => {
    const launcher = new Launcher(env());
    launchers.push(launcher);
    return launcher;
  };
  const devToken = async (gateway: string): Promise<string> =>
    (await request<{ token: string }>(`${gateway}/auth/dev-token`, { body: { sub: 'alice' } })).body.token;

  afterAll(async () => {
    for (const launcher of launchers) {
      if (launcher.child.exitCode === null) launcher.child.kill('SIGTERM');
      await launcher.exited();
      // npm may exit before the launcher under it has stopped everything.
      const pid = launcher.pid('launcher');
      if (pid) await until(`launcher ${pid} to stop`, () => (isAlive(pid) ? undefined : true), 30_000);
    }
    // Whatever a failed test left running is stopped as a next launcher would stop it.
    (await StateDirLock.acquire(stateDir, () => undefined)).release();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('stops what the killed launcher left before starting: one Redis on the data, its apps gone, no job lost', async () => {
    port = await freePort();
    const first = start();
    await first.ready();
    const launcher = first.pid('launcher');
    const redis = first.pid('redis');
    const gateway = first.pid('gateway-1');
    const worker = first.pid('worker-1');
    const url = `http://127.0.0.1:${port}`;
    const job = await submitJob(url, await devToken(url), {
      type: 'demo.steps',
      payload: { steps: 40, intervalMs: 250 },
    });
    const token = await devToken(url);
    await until('the job to run', async () =>
      (await request<JobSnapshot>(`${url}/jobs/${job.id}`, { token })).body.percent > 0 ? true : undefined,
    );

    process.kill(launcher, 'SIGKILL');
    // Its apps see that it is gone and stop by themselves; Redis keeps the data for the next launcher.
    for (const pid of [gateway, worker])
      await until(`pid ${pid} to stop by itself`, () => (isAlive(pid) ? undefined : true));
    expect(isAlive(redis)).toBe(true);

    const second = start();
    await second.ready();
    expect(second.output).toContain(
      `the launcher that was here (pid ${launcher}) is gone and left redis (pid ${redis}) running; stopping it`,
    );
    expect(isAlive(redis)).toBe(false);
    expect(redisServersOn(join(stateDir, 'redis'))).toEqual([second.pid('redis')]);

    // The job the killed worker handed back runs to its end, every event logged once, in order.
    const watcherToken = await devToken(url);
    expect(await waitForEnd(url, watcherToken, job.id, 90_000)).toMatchObject({ status: 'completed' });
    const stream = await request<string>(`${url}/jobs/${job.id}/events`, { token: watcherToken });
    expectCompleteSequence(parseSse(stream.body).map((frame) => frame.data));
  });

  it('refuses to start on a state directory another launcher runs on, and says which to stop', async () => {
    const [running] = launchers.slice(-1);
    const runningPid = running?.pid('launcher');
    const redis = running?.pid('redis');
    port = await freePort();
    const refused = start();
    expect(await refused.exited()).not.toBe(0);
    expect(refused.output).toContain(
      `another launcher (pid ${runningPid}) is using ${stateDir}: stop it first (kill ${runningPid})`,
    );
    expect(redisServersOn(join(stateDir, 'redis'))).toEqual([redis]);
  });
});

describe('npm start with a bad setting', () => {
  it('names every bad variable and starts nothing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'jobcast-launcher-'));
    try {
      const refused = new Launcher({ LB: 'maybe', GATEWAYS: '0', DEV_TOKENS: '', JOBCAST_STATE_DIR: stateDir });
      expect(await refused.exited()).not.toBe(0);
      expect(refused.output).toContain('[jobcast] cannot start: Invalid configuration:');
      expect(refused.output).toMatch(/^ {2}- GATEWAYS: /m);
      expect(refused.output).toMatch(/^ {2}- LB: /m);
      // An empty variable is not set, as in the apps: DEV_TOKENS keeps its default.
      expect(refused.output).not.toContain('DEV_TOKENS');
      expect(readdirSync(stateDir)).toEqual([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
