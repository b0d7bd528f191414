import type { ManagedProcess } from '@jobcast/local-stack';
import type { WatcherProtocol } from '../load/socket-watchers-api';
import type { MeasuredProcess } from '../metrics/proc-stats';

/** One job's traffic: progress events per second, like demo.steps with `intervalMs = 1000 / hz`. */
export interface JobTraffic {
  /** 0: a job that says nothing while it is watched (an idle watcher's job). */
  hz: number;
}

/**
 * Something watchers connect to and jobs stream through: Jobcast, or a baseline. Scenarios drive every
 * system through this, so Jobcast and its baselines are measured by the same code.
 */
export interface StreamingSystem {
  /** `Jobcast`, `B: Socket.IO + redis-adapter` … */
  readonly label: string;
  /** Base URLs of the servers watchers connect to (namespace `/jobs`), one per server process. */
  readonly socketUrls: readonly string[];
  /** The JWT a watcher presents; undefined for the baselines, which have no auth. */
  readonly token: string | undefined;
  /** How its watchers connect. @default 'socket.io' */
  readonly watcherProtocol?: WatcherProtocol;
  /** Every process of the system, servers first, in the order of `socketUrls`. */
  processes(): MeasuredProcess[];
  /**
   * Creates jobs with this traffic, answering their ids. A Jobcast job starts at once (watchers that join
   * later get what they missed in the subscribe ack); a baseline's starts on `startPublishing`. `runForMs`
   * bounds how long the traffic can last: `finishJobs` must come before it ends.
   */
  openJobs(traffic: readonly JobTraffic[], runForMs: number): Promise<string[]>;
  /** Starts the traffic of the jobs opened since the last `finishJobs`, where it is not already running. */
  startPublishing(): Promise<void>;
  /** Ends every open job: those with traffic with a terminal event, which their watchers receive. */
  finishJobs(): Promise<void>;
  stop(): Promise<void>;
}

/** demo.steps' parameters for this traffic: `intervalMs` is a whole number, so `hz` must divide 1000. */
export function stepsFor(traffic: JobTraffic, runForMs: number): { steps: number; intervalMs: number } {
  const intervalMs = 1000 / traffic.hz;
  if (!Number.isInteger(intervalMs)) throw new Error(`${traffic.hz} Hz is not 1000 / a whole number of ms`);
  return { intervalMs, steps: Math.ceil(runForMs / intervalMs) };
}

/** A local-stack process as the bench measures it. */
export function measuredProcess(
  managed: ManagedProcess,
  role: MeasuredProcess['role'],
  probed: boolean,
): MeasuredProcess {
  if (managed.pid === undefined) throw new Error(`${managed.name} is not running`);
  return { name: managed.name, role, pid: managed.pid, probed };
}
