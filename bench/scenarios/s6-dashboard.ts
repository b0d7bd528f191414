import { decodeFromCompressedBase64, build } from 'hdr-histogram-js';
import { join } from 'node:path';
import type { DashboardMode, DashboardWatchReport, DashboardWatchersApi } from '../load/dashboard-watchers-api';
import { CpuMeter, rssBytes } from '../metrics/proc-stats';
import { sleepUntil } from '../pacing';
import { RpcProcess } from '../rpc/rpc';
import type { RunContext } from '../run-context';
import { stepsFor } from '../systems/streaming-system';
import type { JobcastSystem } from '../systems/jobcast-system';

export interface DashboardPlan {
  watchers: number;
  /** Jobs in the batch every watcher watches. */
  jobs: number;
  /** Progress events each job makes a second (demo.steps). */
  hz: number;
  warmupMs: number;
  windowMs: number;
}

/** One way of watching the batch, and what it cost. */
export interface DashboardModeResult {
  mode: DashboardMode;
  /** Job updates delivered to watchers a second, and per watched job a second (per watcher). */
  updatesPerS: number;
  updatesPerJobPerS: number;
  /** WebSocket messages that carried them, a second. */
  messagesPerS: number;
  /** `updatedAt` (feed) or `at` (per job) → receipt, ms. */
  latencyMs: { count: number; p50: number; p99: number; max: number };
  gatewayCpuUsPerUpdate: number;
  redisCpuUsPerUpdate: number;
  /** Gateway RSS growth from before the first watcher to the end of the window, per watcher. */
  gatewayRssKbPerWatcher: number;
  /** Watchers whose socket closed before the end. */
  closed: number;
}

export interface DashboardResult {
  plan: DashboardPlan;
  feedMaxHz: number;
  modes: DashboardModeResult[];
}

const WATCHERS_SCRIPT = join(__dirname, '..', 'load', 'dashboard-watchers.js');
/** The jobs run well past the window; they are cancelled once it is over. */
const JOB_SLACK_MS = 60_000;

/**
 * S6: a dashboard of a batch. W watchers each watch every job of a batch of N jobs making progress at `hz`,
 * through the batch's feed, then (a new batch) by subscribing to each job one by one. Measures job updates
 * delivered, gateway and Redis CPU per update, latency from the change to receipt, and gateway RSS per watcher.
 */
export async function runDashboard(
  context: RunContext,
  jobcast: JobcastSystem,
  plan: DashboardPlan,
  feedMaxHz: number,
): Promise<DashboardResult> {
  const modes: DashboardModeResult[] = [];
  for (const mode of ['feed', 'per-job'] as const) {
    const measured = await measureMode(jobcast, plan, mode);
    context.log(
      `S6 ${mode}: ${measured.updatesPerS.toFixed(0)} updates/s, p50 ${measured.latencyMs.p50} ms, ` +
        `p99 ${measured.latencyMs.p99} ms, gateway ${measured.gatewayCpuUsPerUpdate.toFixed(1)} µs and Redis ` +
        `${measured.redisCpuUsPerUpdate.toFixed(1)} µs per update`,
    );
    modes.push(measured);
  }
  return { plan, feedMaxHz, modes };
}

async function measureMode(
  jobcast: JobcastSystem,
  plan: DashboardPlan,
  mode: DashboardMode,
): Promise<DashboardModeResult> {
  const processes = jobcast.processes();
  const gateway = processes.find((process) => process.role === 'server');
  const redis = processes.find((process) => process.role === 'redis');
  const [url] = jobcast.socketUrls;
  if (!gateway || !redis || !url) throw new Error('Jobcast has no gateway or Redis');
  const payload = stepsFor({ hz: plan.hz }, plan.warmupMs + plan.windowMs + JOB_SLACK_MS);
  const watchers = await RpcProcess.fork<DashboardWatchersApi>('dashboard-watchers', WATCHERS_SCRIPT);
  try {
    const rssBefore = rssBytes(gateway.pid);
    const { batchId, jobIds } = await jobcast.submitBatch(
      Array.from({ length: plan.jobs }, () => ({ type: 'demo.steps', payload })),
    );
    await watchers.call('watch', { url, token: jobcast.token, watchers: plan.watchers, mode, batchId, jobIds });
    const startAt = Date.now() + plan.warmupMs;
    const endAt = startAt + plan.windowMs;
    await watchers.call('measure', { startAt, endAt });
    await sleepUntil(startAt);
    const cpu = CpuMeter.start([gateway, redis]);
    await sleepUntil(endAt);
    const cpuMs = cpu.stop();
    const rssAfter = rssBytes(gateway.pid);
    const report = await watchers.call('report', {});
    await jobcast.finishJobs();
    return summarizeDashboardMode(mode, plan, report, {
      gatewayCpuMs: cpuMs[gateway.name] ?? 0,
      redisCpuMs: cpuMs[redis.name] ?? 0,
      gatewayRssGrowthBytes: rssAfter - rssBefore,
    });
  } finally {
    await watchers.stop();
  }
}

/** The figures of one mode, from what the watchers saw and what the gateway and Redis used in the window. */
export function summarizeDashboardMode(
  mode: DashboardMode,
  plan: DashboardPlan,
  report: DashboardWatchReport,
  used: { gatewayCpuMs: number; redisCpuMs: number; gatewayRssGrowthBytes: number },
): DashboardModeResult {
  const windowS = plan.windowMs / 1000;
  const updates = report.updatesInWindow;
  const latency = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
  latency.add(decodeFromCompressedBase64(report.latency));
  const at = (percentile: number): number => (latency.totalCount === 0 ? 0 : latency.getValueAtPercentile(percentile));
  const perUpdateUs = (ms: number): number => (updates === 0 ? 0 : (ms * 1000) / updates);
  return {
    mode,
    updatesPerS: updates / windowS,
    updatesPerJobPerS: updates / windowS / plan.watchers / plan.jobs,
    messagesPerS: report.messagesInWindow / windowS,
    latencyMs: { count: latency.totalCount, p50: at(50), p99: at(99), max: latency.maxValue },
    gatewayCpuUsPerUpdate: perUpdateUs(used.gatewayCpuMs),
    redisCpuUsPerUpdate: perUpdateUs(used.redisCpuMs),
    gatewayRssKbPerWatcher: used.gatewayRssGrowthBytes / 1024 / plan.watchers,
    closed: report.closed,
  };
}
