import type { StreamIntegrity } from '../metrics/event-stream';
import { summarize, type LatencySummary } from '../metrics/latency-histogram';
import { PROBE_TIMEOUT_MS, ProbeUnanswered, queryProbe } from '../metrics/probe';
import { CpuMeter, rssBytes, type MeasuredProcess } from '../metrics/proc-stats';
import type { WatcherPool } from '../load/watcher-pool';
import { sleepUntil } from '../pacing';
import type { RunContext } from '../run-context';
import type { StreamingSystem } from '../systems/streaming-system';

export interface StreamingTiming {
  /** From the moment every watcher is subscribed to the start of the window: lets the traffic settle. */
  warmupMs: number;
  windowMs: number;
  /** How long to wait, after the jobs were told to end, for every watcher's terminal event. */
  drainMs: number;
}

/** What one system did with one load over one window. */
export interface StreamingMeasurement {
  system: string;
  watchers: number;
  windowS: number;
  /** Events published in the window, times their watchers, per second: what a perfect system delivers. */
  offeredPerS: number;
  /** Live events that reached a watcher in the window, per second. */
  deliveredPerS: number;
  latencyMs: LatencySummary;
  integrity: StreamIntegrity;
  subscribeFailures: number;
  disconnects: Record<string, number>;
  /** CPU time of each process in the window. */
  cpuMs: Record<string, number>;
  /** CPU ms per 1,000 delivered events: of the servers watchers connect to, of the whole server side, of the bench's clients. */
  cpuMsPer1kDelivered: { servers: number; serverSide: number; clients: number };
  /**
   * Event-loop delay p99 of each probed process over the window; null for one that did not answer its
   * probe (at the window's start or end), which has broken under the load.
   */
  loopDelayP99Ms: Record<string, number | null>;
  /** RSS of each server at the end of the window. */
  serverRssMiB: Record<string, number>;
}

const MIB = 1024 * 1024;

/**
 * Subscribes the watchers (`jobIds[i]` for socket i), lets the system publish, measures one window, ends
 * the jobs and waits for every terminal event, so loss and order are judged on complete streams.
 * `processes` are the system processes to account for (all of them unless told otherwise).
 */
export async function measureStreaming(
  context: RunContext,
  system: StreamingSystem,
  watchers: WatcherPool,
  jobIds: readonly string[],
  timing: StreamingTiming,
  processes: readonly MeasuredProcess[] = system.processes(),
): Promise<StreamingMeasurement> {
  const subscription = await watchers.subscribe(jobIds);
  if (subscription.failed > 0) {
    context.log(`${system.label}: ${subscription.failed} subscribes failed (${subscription.errors.join('; ')})`);
  }
  await system.startPublishing();
  const startAt = Date.now() + timing.warmupMs;
  const endAt = startAt + timing.windowMs;
  await watchers.measure({ startAt, endAt });
  const probed = processes.filter((process) => process.probed);

  await sleepUntil(startAt);
  const cpu = CpuMeter.start([...processes, ...watchers.measured]);
  const atStart = await loopDelayP99(context.probeDir, probed);
  await sleepUntil(endAt);
  const cpuMs = cpu.stop();
  const atEnd = await loopDelayP99(context.probeDir, probed);
  // A process that did not answer at the start has no period to report at the end either.
  const loopDelay = Object.fromEntries(
    Object.entries(atEnd).map(([name, p99Ms]) => [name, atStart[name] === null ? null : p99Ms]),
  );
  const serverRssMiB = Object.fromEntries(
    processes.filter((process) => process.role === 'server').map(({ name, pid }) => [name, rssBytes(pid) / MIB]),
  );

  await system.finishJobs();
  await watchers.awaitTerminals(timing.drainMs);
  const report = await watchers.report();

  const windowS = timing.windowMs / 1000;
  const cpuOf = (roles: ReadonlyArray<MeasuredProcess['role']>): number =>
    [...processes, ...watchers.measured]
      .filter((process) => roles.includes(process.role))
      .reduce((sum, process) => sum + (cpuMs[process.name] ?? 0), 0);
  const per1k = (ms: number): number => (report.delivered === 0 ? 0 : ms / (report.delivered / 1000));
  return {
    system: system.label,
    watchers: jobIds.length,
    windowS,
    offeredPerS: report.offered / windowS,
    deliveredPerS: report.delivered / windowS,
    latencyMs: summarize(report.latency),
    integrity: report.integrity,
    subscribeFailures: subscription.failed,
    disconnects: report.disconnects,
    cpuMs,
    cpuMsPer1kDelivered: {
      servers: per1k(cpuOf(['server'])),
      serverSide: per1k(cpuOf(['server', 'publisher', 'redis'])),
      clients: per1k(cpuOf(['load'])),
    },
    loopDelayP99Ms: loopDelay,
    serverRssMiB,
  };
}

/**
 * Each probed process's event-loop delay p99 since it was last asked (asking starts a new period), or null
 * for one whose probe did not answer within `timeoutMs`: a process that busy has stopped serving, so the
 * measurement goes on without its figure and whoever judges it counts it as broken.
 */
export async function loopDelayP99(
  probeDir: string,
  processes: readonly MeasuredProcess[],
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<Record<string, number | null>> {
  const reports = await Promise.all(
    processes.map(async ({ name, pid }): Promise<[string, number | null]> => {
      try {
        const { p99Ms } = await queryProbe(probeDir, pid, 'loop-delay', timeoutMs);
        return [name, p99Ms];
      } catch (error) {
        if (error instanceof ProbeUnanswered) return [name, null];
        throw error;
      }
    }),
  );
  return Object.fromEntries(reports);
}

/** The processes of a measurement that stopped answering their probe. */
export function unansweredProbes(measurement: Pick<StreamingMeasurement, 'loopDelayP99Ms'>): string[] {
  return Object.entries(measurement.loopDelayP99Ms)
    .filter(([, p99Ms]) => p99Ms === null)
    .map(([name]) => name);
}
