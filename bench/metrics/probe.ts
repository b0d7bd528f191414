import { connect } from 'node:net';
import { join } from 'node:path';

/** What process-probe.ts answers, and how to ask it. */
export interface LoopDelayReport {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type HeapReport = NodeJS.MemoryUsage;

interface ProbeAnswers {
  'loop-delay': LoopDelayReport;
  heap: HeapReport;
}

/** The directory of the probes' sockets; set only in the environment of the processes under test. */
export const PROBE_DIR_ENV = 'BENCH_PROBE_DIR';

export const PROBE_SCRIPT = join(__dirname, 'process-probe.js');

export function probeSocketPath(dir: string, pid: number): string {
  return join(dir, `${pid}.sock`);
}

/** How long a probe may take: one that takes longer belongs to a process too busy to run a timer's callback. */
export const PROBE_TIMEOUT_MS = 10_000;

/** A probe that did not answer in time: its process is too busy to serve anything else either. */
export class ProbeUnanswered extends Error {
  constructor(
    readonly pid: number,
    readonly timeoutMs: number,
  ) {
    super(`probe of pid ${pid} did not answer within ${timeoutMs / 1000} s`);
  }
}

/** Asks the probe preloaded in process `pid`; rejects with ProbeUnanswered after `timeoutMs`. */
export function queryProbe<Command extends keyof ProbeAnswers>(
  dir: string,
  pid: number,
  command: Command,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<ProbeAnswers[Command]> {
  return new Promise((resolve, reject) => {
    const socket = connect(probeSocketPath(dir, pid));
    let output = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new ProbeUnanswered(pid, timeoutMs)));
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => (output += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const answer = JSON.parse(output) as ProbeAnswers[Command] | { error: string };
      if ('error' in answer) reject(new Error(`probe of pid ${pid}: ${answer.error}`));
      else resolve(answer);
    });
  });
}
