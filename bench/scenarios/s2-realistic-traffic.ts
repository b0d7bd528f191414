import { WatcherPool } from '../load/watcher-pool';
import type { RunContext } from '../run-context';
import type { JobTraffic, StreamingSystem } from '../systems/streaming-system';
import { measureStreaming, type StreamingMeasurement, type StreamingTiming } from './measure-streaming';

export interface RealisticTrafficPlan extends StreamingTiming {
  jobs: number;
  /** Job j publishes at `ratesHz[j % ratesHz.length]`. */
  ratesHz: number[];
  /** Job j has between `min` and `max` watchers, spread evenly. */
  watchersPerJob: { min: number; max: number };
}

export interface RealisticTrafficResult {
  jobs: number;
  watchers: number;
  /** Events per second all jobs publish together, nominally. */
  publishedPerS: number;
  measurements: StreamingMeasurement[];
  /** How fast each system took the jobs' submits (for Jobcast: POST /jobs, a few in flight at once). */
  submits: Array<{ label: string; perS: number }>;
}

/** Time a system gets to take every subscribe before its jobs could run out of steps. */
const SUBSCRIBE_ALLOWANCE_MS = 15_000;

/**
 * S2: hundreds of jobs at 2–10 Hz, 1–5 watchers each, the watchers of a job alternating between the
 * system's two servers — for Jobcast and for baseline B, the same jobs and watchers.
 */
export async function runRealisticTraffic(
  context: RunContext,
  systems: readonly StreamingSystem[],
  plan: RealisticTrafficPlan,
): Promise<RealisticTrafficResult> {
  const traffic: JobTraffic[] = Array.from({ length: plan.jobs }, (_, j) => ({
    hz: plan.ratesHz[j % plan.ratesHz.length] as number,
  }));
  const { min, max } = plan.watchersPerJob;
  // j * 3 walks every residue, so counts mix (1, 4, 2, 5, 3 …) rather than run in blocks.
  const jobOfSocket = traffic.flatMap((_, j) => Array.from({ length: min + ((j * 3) % (max - min + 1)) }, () => j));
  const measurements: StreamingMeasurement[] = [];
  const submits: RealisticTrafficResult['submits'] = [];
  for (const system of systems) {
    const watchers = await WatcherPool.forSockets(jobOfSocket.length);
    try {
      const connection = await watchers.connect(
        jobOfSocket.map((_, i) => system.socketUrls[i % system.socketUrls.length] as string),
        system.token,
      );
      if (connection.failed > 0) context.log(`S2 ${system.label}: ${connection.failed} connects failed`);
      const openedAt = performance.now();
      const jobIds = await system.openJobs(traffic, SUBSCRIBE_ALLOWANCE_MS + plan.warmupMs + plan.windowMs);
      submits.push({ label: system.label, perS: (jobIds.length * 1000) / (performance.now() - openedAt) });
      const measurement = await measureStreaming(
        context,
        system,
        watchers,
        jobOfSocket.map((j) => jobIds[j] as string),
        plan,
      );
      measurements.push(measurement);
      context.log(
        `S2 ${system.label}: ${measurement.deliveredPerS.toFixed(0)} of ${measurement.offeredPerS.toFixed(0)} events/s, ` +
          `p99 ${measurement.latencyMs.p99} ms`,
      );
    } finally {
      await watchers.stop();
    }
  }
  return {
    jobs: plan.jobs,
    watchers: jobOfSocket.length,
    publishedPerS: traffic.reduce((sum, job) => sum + job.hz, 0),
    measurements,
    submits,
  };
}
