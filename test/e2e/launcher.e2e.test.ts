import { freePort } from '@jobcast/local-stack';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request, submitJob, waitForEnd } from '../support/http-api';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start: the local topology', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jobcast-launcher-'));
  let launcher: ChildProcess | undefined;
  let output = '';

  afterAll(() => {
    if (launcher?.exitCode === null) launcher.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('brings up redis, two gateways and two workers, restarts what dies, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    launcher = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, PORT: String(port), GATEWAYS: '2', WORKERS: '2', JOBCAST_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(
      'the launcher to be up',
      () => (output.includes('Ctrl-C stops everything') ? true : undefined),
      120_000,
    );

    const pid = (name: string): number => Number(new RegExp(`${name} .*pid (\\d+)`).exec(output)?.[1]);
    const pids = ['redis', 'gateway-1', 'gateway-2', 'worker-1', 'worker-2'].map(pid);
    expect(pids.every((p) => Number.isInteger(p) && isAlive(p))).toBe(true);
    const [gatewayA, gatewayB] = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    expect(output).toContain(gatewayA);
    expect(output).toContain(gatewayB);

    const { body } = await request<{ token: string }>(`${gatewayA}/auth/dev-token`, { body: { sub: 'alice' } });
    const job = await submitJob(gatewayA, body.token, { type: 'demo.steps', payload: { steps: 2, intervalMs: 10 } });
    expect(await waitForEnd(gatewayB, body.token, job.id)).toMatchObject({ status: 'completed' });

    process.kill(pid('gateway-1'), 'SIGKILL');
    await until('gateway-1 to be restarted', () =>
      /gateway-1 exited \(SIGKILL\); restarting in \d+ ms/.test(output) ? true : undefined,
    );
    // The launcher says so once the new process answers its health check.
    const restartedPid = await until('gateway-1 to be back', () => {
      const back = /gateway-1 is back \(pid (\d+)\)/.exec(output)?.[1];
      return back === undefined ? undefined : Number(back);
    });
    expect(isAlive(restartedPid)).toBe(true);
    expect((await fetch(`${gatewayA}/healthz`)).ok).toBe(true);

    launcher.kill('SIGTERM');
    // npm passes the signal on and may die of it itself; the launcher under it reports when it is done.
    await until(
      'the launcher to stop everything',
      () => (output.includes('[jobcast] stopped') ? true : undefined),
      30_000,
    );
    for (const p of [...pids, restartedPid])
      await until(`pid ${p} to be gone`, () => (isAlive(p) ? undefined : true), 15_000);
    await expect(fetch(`${gatewayB}/healthz`)).rejects.toThrow();
  });
});
