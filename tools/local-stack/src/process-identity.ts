import { readFileSync } from 'node:fs';

/** A process as a pid file should name it: its pid, and when it started, so a reused pid is not taken for it. */
export interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot at which it started (/proc/<pid>/stat, field 22); absent where there is no /proc. */
  startTime?: number;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** /proc/<pid>/stat's state and start time, or undefined when there is no such process (or no /proc). */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may itself hold spaces and parentheses: fields follow the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity {
  const startTime = procStat(pid)?.startTime;
  return startTime === undefined ? { pid } : { pid, startTime };
}

/** Whether this very process is still running: same pid, same start time, not a zombie. */
export function isRunning(target: ProcessIdentity): boolean {
  const stat = procStat(target.pid);
  if (stat) return stat.state !== 'Z' && (target.startTime === undefined || stat.startTime === target.startTime);
  try {
    // No /proc (not Linux): the pid alone.
    process.kill(target.pid, 0);
    return true;
  } catch {
    return false;
  }
}
