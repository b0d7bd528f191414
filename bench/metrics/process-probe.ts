/**
 * Preloaded (`NODE_OPTIONS=--require …/process-probe.js`) into every Node process under test — Jobcast's
 * gateways and workers and the baseline servers alike — so that heap after GC and event-loop delay can be
 * read from outside without a line of the apps' code knowing about it. It answers on a Unix socket,
 * `$BENCH_PROBE_DIR/<pid>.sock`, one command per connection:
 * - `loop-delay`: event-loop delay percentiles since the previous `loop-delay`, then starts over;
 * - `heap`: forces two full GCs, then answers process.memoryUsage().
 */
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PROBE_DIR_ENV, probeSocketPath, type HeapReport, type LoopDelayReport } from './probe';

/** Node's own default sampling interval; the delay it reports is how late each 10 ms timer fired. */
const LOOP_DELAY_RESOLUTION_MS = 10;

function installProbe(dir: string): void {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;

  const answer = (command: string): LoopDelayReport | HeapReport => {
    if (command === 'heap') {
      // Two passes: the first can leave objects whose finalizers free more.
      collectGarbage();
      collectGarbage();
      return process.memoryUsage();
    }
    if (command === 'loop-delay') {
      const toMs = (ns: number): number => Math.round(ns / 1e4) / 100;
      const report = {
        p50Ms: toMs(loopDelay.percentile(50)),
        p99Ms: toMs(loopDelay.percentile(99)),
        maxMs: toMs(loopDelay.max),
      };
      loopDelay.reset();
      return report;
    }
    throw new Error(`unknown probe command ${command}`);
  };

  const server = createServer((connection) => {
    let input = '';
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => {
      input += chunk;
      if (!input.includes('\n')) return;
      try {
        connection.end(`${JSON.stringify(answer(input.trim()))}\n`);
      } catch (error) {
        connection.end(`${JSON.stringify({ error: String(error) })}\n`);
      }
    });
    connection.on('error', () => undefined);
  });
  // Never keeps the app alive, never takes it down.
  server.on('error', () => undefined);
  server.listen(probeSocketPath(dir, process.pid));
  server.unref();
}

const probeDir = process.env[PROBE_DIR_ENV];
if (probeDir) installProbe(probeDir);
