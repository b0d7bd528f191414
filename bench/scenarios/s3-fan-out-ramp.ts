import { WatcherPool } from '../load/watcher-pool';
import type { RunContext } from '../run-context';
import type { StreamingSystem } from '../systems/streaming-system';
import { PROBE_TIMEOUT_MS } from '../metrics/probe';
import {
  measureStreaming,
  unansweredProbes,
  type StreamingMeasurement,
  type StreamingTiming,
} from './measure-streaming';

export interface FanOutRampPlan extends StreamingTiming {
  /** Watchers of the one job, alternating between the system's servers. */
  watchers: number;
  /** Publish rates tried in turn, each with a new job, until one is not sustained. */
  ratesHz: number[];
  /** A step is sustained while p99 stays at or under this… */
  maxP99Ms: number;
  /** …and watchers get at least this share of what was published (give or take one event each), losing none. */
  minDeliveredShare: number;
}

export interface RampStep extends StreamingMeasurement {
  hz: number;
  sustained: boolean;
  /** Why the step was not sustained. */
  breaks: string[];
}

export interface RampResult {
  system: string;
  steps: RampStep[];
  /** Delivered events per second of the fastest sustained step: the system's fan-out capacity. */
  maxSustainedDeliveredPerS: number;
  maxSustainedHz: number;
}

export interface FanOutRampResult {
  watchers: number;
  systems: RampResult[];
}

const SUBSCRIBE_ALLOWANCE_MS = 10_000;

/** S3: one job, thousands of watchers, its publish rate stepped up until delivery breaks. */
export async function runFanOutRamp(
  context: RunContext,
  systems: readonly StreamingSystem[],
  plan: FanOutRampPlan,
): Promise<FanOutRampResult> {
  const results: RampResult[] = [];
  for (const system of systems) {
    const watchers = await WatcherPool.forSockets(plan.watchers);
    const steps: RampStep[] = [];
    try {
      const connection = await watchers.connect(
        Array.from({ length: plan.watchers }, (_, i) => system.socketUrls[i % system.socketUrls.length] as string),
        system.token,
        system.watcherProtocol,
      );
      if (connection.failed > 0) context.log(`S3 ${system.label}: ${connection.failed} connects failed`);
      for (const hz of plan.ratesHz) {
        const [jobId] = await system.openJobs([{ hz }], SUBSCRIBE_ALLOWANCE_MS + plan.warmupMs + plan.windowMs);
        const measurement = await measureStreaming(
          context,
          system,
          watchers,
          Array.from({ length: plan.watchers }, () => jobId as string),
          plan,
        );
        const breaks = breaksOf(measurement, plan);
        steps.push({ ...measurement, hz, sustained: breaks.length === 0, breaks });
        context.log(
          `S3 ${system.label} ${hz} Hz: ${measurement.deliveredPerS.toFixed(0)} of ${measurement.offeredPerS.toFixed(0)} ` +
            `events/s, p99 ${measurement.latencyMs.p99} ms${breaks.length > 0 ? ` — breaks: ${breaks.join(', ')}` : ''}`,
        );
        if (breaks.length > 0) break;
      }
    } finally {
      await watchers.stop();
    }
    const sustained = steps.filter((step) => step.sustained);
    const best = sustained.reduce<RampStep | undefined>(
      (top, step) => (top === undefined || step.deliveredPerS > top.deliveredPerS ? step : top),
      undefined,
    );
    results.push({
      system: system.label,
      steps,
      maxSustainedDeliveredPerS: best?.deliveredPerS ?? 0,
      maxSustainedHz: best?.hz ?? 0,
    });
  }
  return { watchers: plan.watchers, systems: results };
}

/** Why a step was not sustained (none when it was). */
export function breaksOf(
  measurement: StreamingMeasurement,
  plan: Pick<FanOutRampPlan, 'maxP99Ms' | 'minDeliveredShare'>,
): string[] {
  const { latencyMs, integrity, offeredPerS, deliveredPerS, disconnects, subscribeFailures } = measurement;
  // Each edge of the window can fall either side of one event of the job, and every watcher sees the same
  // events: at a few Hz that alone is several percent of a short window, so it is not counted as lag.
  const edgeSlackPerS = measurement.watchers / measurement.windowS;
  const fellBehind = offeredPerS - deliveredPerS > (1 - plan.minDeliveredShare) * offeredPerS + edgeSlackPerS;
  const share = offeredPerS === 0 ? 0 : deliveredPerS / offeredPerS;
  const disconnected = Object.values(disconnects).reduce((sum, count) => sum + count, 0);
  return [
    ...(latencyMs.p99 > plan.maxP99Ms ? [`p99 ${latencyMs.p99} ms > ${plan.maxP99Ms} ms`] : []),
    ...(fellBehind ? [`delivered ${(share * 100).toFixed(1)}% of offered`] : []),
    ...(integrity.missing > 0 ? [`${integrity.missing} events lost`] : []),
    ...(integrity.unfinished > 0 ? [`${integrity.unfinished} watchers never got the end`] : []),
    ...(disconnected > 0 ? [`${disconnected} disconnects`] : []),
    ...(subscribeFailures > 0 ? [`${subscribeFailures} subscribes failed`] : []),
    // Too busy to answer its probe, it is too busy to serve: the system broke at this step.
    ...unansweredProbes(measurement).map(
      (name) => `${name} stopped answering (no probe answer in ${PROBE_TIMEOUT_MS / 1000} s)`,
    ),
  ];
}
