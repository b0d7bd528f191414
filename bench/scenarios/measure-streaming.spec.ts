import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { probeSocketPath } from '../metrics/probe';
import type { MeasuredProcess } from '../metrics/proc-stats';
import { loopDelayP99 } from './measure-streaming';

/** Probes on real Unix sockets, as process-probe.ts serves them: one that answers, one too busy to. */
describe('loopDelayP99', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-probe-'));
  const servers: Server[] = [];
  const held: Socket[] = [];

  /** A probe for `pid`, listening once this resolves. */
  async function probeAt(pid: number, answer: ((command: string) => string) | 'never'): Promise<void> {
    const listener = createServer((connection) => {
      held.push(connection);
      connection.setEncoding('utf8');
      connection.on('data', (command: string) => {
        if (answer !== 'never') connection.end(answer(command.trim()));
      });
    });
    servers.push(listener);
    await new Promise<void>((resolve) => listener.listen(probeSocketPath(dir, pid), resolve));
  }

  const server = (name: string, pid: number): MeasuredProcess => ({ name, pid, role: 'server', probed: true });

  afterEach(() => {
    for (const connection of held.splice(0)) connection.destroy();
    for (const listener of servers.splice(0)) listener.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the p99 of a process that answers, and null for one that does not answer in time, without failing', async () => {
    await probeAt(101, (command) =>
      command === 'loop-delay' ? JSON.stringify({ p50Ms: 1, p99Ms: 12.5, maxMs: 20 }) : '',
    );
    await probeAt(102, 'never');
    const started = Date.now();
    const readings = await loopDelayP99(dir, [server('server-1', 101), server('server-2', 102)], 300);
    expect(readings).toEqual({ 'server-1': 12.5, 'server-2': null });
    // It waited out the timeout, and no longer.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('still fails on a probe that answers with an error: that is a bug, not a busy process', async () => {
    await probeAt(103, () => JSON.stringify({ error: 'unknown probe command' }));
    await expect(loopDelayP99(dir, [server('server-3', 103)], 300)).rejects.toThrow(
      'probe of pid 103: unknown probe command',
    );
  });
});
