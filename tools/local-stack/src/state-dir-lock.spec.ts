import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identify, isRunning } from './process-identity';
import { LAUNCHER_LOCK_FILE, StateDirLock } from './state-dir-lock';

describe('StateDirLock', () => {
  const dirs: string[] = [];
  const stateDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'jobcast-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second launcher while the first runs, naming it, and is free again once released', async () => {
    const dir = stateDir();
    const lock = await StateDirLock.acquire(dir, () => undefined);
    await expect(StateDirLock.acquire(dir, () => undefined)).rejects.toThrow(
      `another launcher (pid ${process.pid}) is using ${dir}: stop it first (kill ${process.pid})`,
    );
    lock.release();
    (await StateDirLock.acquire(dir, () => undefined)).release();
  });

  it('stops what a launcher that is gone left running, then takes the directory', async () => {
    const dir = stateDir();
    // A launcher that is gone: a process that has exited.
    const goneLauncher = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const leftover = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const leftoverPid = leftover.pid ?? 0;
    const stopOrder = [[{ name: 'redis', ...identify(leftoverPid) }]];
    writeFileSync(
      join(dir, LAUNCHER_LOCK_FILE),
      JSON.stringify({ launcher: { pid: Number(goneLauncher.stdout) }, stopOrder }),
    );
    const messages: string[] = [];
    const leftoverExited = new Promise((resolve) => leftover.once('exit', resolve));
    const lock = await StateDirLock.acquire(dir, (message) => messages.push(message));
    expect(messages).toEqual([
      `the launcher that was here (pid ${Number(goneLauncher.stdout)}) is gone and left redis (pid ${leftoverPid}) running; stopping it`,
    ]);
    await leftoverExited;
    expect(isRunning(identify(leftoverPid))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, LAUNCHER_LOCK_FILE), 'utf8'))).toMatchObject({
      launcher: { pid: process.pid },
    });
    lock.release();
  });

  it('gives a leftover app that stops by itself the time to, without a signal that would cut it short', async () => {
    const dir = stateDir();
    const signalled = join(dir, 'signalled');
    // An app finishing its shutdown: it exits on its own a moment later, and notes any SIGTERM.
    const app = spawn(
      process.execPath,
      [
        '-e',
        `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(signalled)}, ''); process.exit(0); });
         setTimeout(() => process.exit(0), 1000);`,
      ],
      { detached: true, stdio: 'ignore' },
    );
    const appExited = new Promise((resolve) => app.once('exit', resolve));
    const stopOrder = [[{ name: 'gateway-1', ...identify(app.pid ?? 0), endsItself: true }]];
    writeFileSync(join(dir, LAUNCHER_LOCK_FILE), JSON.stringify({ launcher: { pid: 999_999_999 }, stopOrder }));
    (await StateDirLock.acquire(dir, () => undefined)).release();
    await appExited;
    expect(existsSync(signalled)).toBe(false);
  });

  it('takes a directory whose lock file is not one', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, LAUNCHER_LOCK_FILE), 'not json');
    (await StateDirLock.acquire(dir, () => undefined)).release();
  });
});
