import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process whose cost the bench reports. */
export interface MeasuredProcess {
  /** `gateway-1`, `baseline-b-1`, `redis`, `watchers-2` … */
  name: string;
  /**
   * `server`: what clients connect to (a gateway, a baseline server); `publisher`: what produces the events
   * (Jobcast's worker, the baseline's emitter process); `redis`; `load`: the bench's own clients.
   */
  role: 'server' | 'publisher' | 'redis' | 'load';
  pid: number;
  /** Runs the bench's probe (bench/metrics/process-probe.ts): heap after GC and event-loop delay. */
  probed: boolean;
}

/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time the process has used so far, in ms (10 ms resolution at the usual 100 Hz). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident set size, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU time each process uses between `start` and `stop`. */
export class CpuMeter {
  private constructor(
    private readonly processes: readonly MeasuredProcess[],
    private readonly startMs: ReadonlyMap<number, number>,
  ) {}

  static start(processes: readonly MeasuredProcess[]): CpuMeter {
    return new CpuMeter(processes, new Map(processes.map(({ pid }) => [pid, cpuTimeMs(pid)])));
  }

  /** CPU ms per process name. */
  stop(): Record<string, number> {
    return Object.fromEntries(
      this.processes.map(({ name, pid }) => [name, cpuTimeMs(pid) - (this.startMs.get(pid) ?? 0)]),
    );
  }
}
