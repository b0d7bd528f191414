import { decodeFromCompressedBase64, build } from 'hdr-histogram-js';
import Redis from 'ioredis';
import { join } from 'node:path';
import type { OutputWatchReport, OutputWatchersApi } from '../load/output-watchers-api';
import { CpuMeter } from '../metrics/proc-stats';
import { mapConcurrently, sleepUntil } from '../pacing';
import { RpcProcess } from '../rpc/rpc';
import type { RunContext } from '../run-context';
import type { JobcastSystem } from '../systems/jobcast-system';

export interface OutputTokensPlan {
  jobs: number;
  /** Words (chunks) each job writes per second. */
  chunksPerS: number;
  watchersPerJob: number;
  warmupMs: number;
  windowMs: number;
}

/** One way of sending the words, and what it cost. */
export interface TokenMode {
  mode: 'output' | 'log';
  chunksWrittenPerS: number;
  chunksDeliveredPerS: number;
  framesPerS: number;
  /** write() → the watcher's frame, ms. */
  latencyMs: { count: number; p50: number; p99: number; max: number };
  /** Events that carry the text (`output` or `log`) per chunk written: what the text itself costs the log. */
  textAppendsPerChunk: number;
  /** Every event appended to job logs (XADD: progress and lifecycle too), and every Redis command, per chunk. */
  redisAppendsPerChunk: number;
  redisCommandsPerChunk: number;
  redisCpuMsPerChunk: number;
  workerCpuMsPerChunk: number;
  /** Gateway CPU per chunk delivered to a watcher. */
  gatewayCpuMsPerDeliveredChunk: number;
  /** Events a watcher missed or got twice (by seq), offset errors, watchers left without the terminal event. */
  lost: number;
  offsetErrors: number;
  unfinished: number;
}

export interface OutputTokensResult {
  plan: OutputTokensPlan;
  outputFlushMs: number;
  modes: TokenMode[];
}

const WATCHER_PROCESSES = 2;
const WATCHERS_SCRIPT = join(__dirname, '..', 'load', 'output-watchers.js');
/** Each job writes for this long at most: it is cancelled once the window is over. */
const JOB_MAX_MS = 600_000;
const END_ALLOWANCE_MS = 30_000;

/**
 * S5: jobs that stream words like a model's tokens (demo.text), watched live; the same words as output streams
 * (joined and logged every OUTPUT_FLUSH_MS) and as one `log` event per word. Measures the latency from the
 * handler's write() to the watcher's frame, what Redis does per word, and the gateway's CPU per word delivered.
 */
export async function runOutputTokens(
  context: RunContext,
  jobcast: JobcastSystem,
  plan: OutputTokensPlan,
  outputFlushMs: number,
): Promise<OutputTokensResult> {
  const modes: TokenMode[] = [];
  for (const mode of ['output', 'log'] as const) {
    const measured = await measureMode(context, jobcast, plan, mode);
    context.log(
      `S5 ${mode}: p50 ${measured.latencyMs.p50} ms, p99 ${measured.latencyMs.p99} ms, ` +
        `${measured.textAppendsPerChunk.toFixed(3)} text appends, ${measured.redisAppendsPerChunk.toFixed(3)} appends ` +
        `and ${measured.redisCommandsPerChunk.toFixed(2)} ` +
        `Redis commands per chunk, lost ${measured.lost}`,
    );
    modes.push(measured);
  }
  return { plan, outputFlushMs, modes };
}

async function measureMode(
  context: RunContext,
  jobcast: JobcastSystem,
  plan: OutputTokensPlan,
  mode: 'output' | 'log',
): Promise<TokenMode> {
  const processes = jobcast.processes();
  const gateway = processes.find((process) => process.role === 'server');
  const worker = processes.find((process) => process.role === 'publisher');
  const redisProcess = processes.find((process) => process.role === 'redis');
  const [url] = jobcast.socketUrls;
  if (!gateway || !worker || !redisProcess || !url) throw new Error('Jobcast has no gateway, worker or Redis');
  const words = Math.ceil((JOB_MAX_MS / 1000) * plan.chunksPerS);
  const watchers = await Promise.all(
    Array.from({ length: WATCHER_PROCESSES }, (_, i) =>
      RpcProcess.fork<OutputWatchersApi>(`output-watchers-${i + 1}`, WATCHERS_SCRIPT),
    ),
  );
  const redis = new Redis(jobcast.redisUrl);
  try {
    const jobIds = await mapConcurrently(Array.from({ length: plan.jobs }), 16, (_, index) =>
      jobcast.submit('demo.text', {
        words,
        wordsPerSecond: plan.chunksPerS,
        seed: index + 1,
        timestamps: true,
        ...(mode === 'log' && { asLogEvents: true }),
      }),
    );
    const watcherJobs = jobIds.flatMap((jobId) => Array.from({ length: plan.watchersPerJob }, () => jobId));
    await Promise.all(
      watchers.map((process, k) =>
        process.call('watch', {
          url,
          token: jobcast.token,
          jobIds: watcherJobs.filter((_, i) => i % WATCHER_PROCESSES === k),
        }),
      ),
    );
    const startAt = Date.now() + plan.warmupMs;
    const endAt = startAt + plan.windowMs;
    await Promise.all(watchers.map((process) => process.call('measure', { startAt, endAt })));
    await sleepUntil(startAt);
    const cpu = CpuMeter.start([gateway, worker, redisProcess]);
    const commandsBefore = await commandCalls(redis);
    await sleepUntil(endAt);
    const commandsAfter = await commandCalls(redis);
    const cpuMs = cpu.stop();
    await jobcast.finishJobs();
    const reports = await Promise.all(
      watchers.map((process) => process.call('report', { deadline: Date.now() + END_ALLOWANCE_MS })),
    );
    return summarizeMode(mode, plan, reports, cpuMs, commandsBefore, commandsAfter, {
      gateway: gateway.name,
      worker: worker.name,
      redis: redisProcess.name,
    });
  } finally {
    redis.disconnect();
    await Promise.all(watchers.map((process) => process.stop()));
  }
}

function summarizeMode(
  mode: 'output' | 'log',
  plan: OutputTokensPlan,
  reports: readonly OutputWatchReport[],
  cpuMs: Record<string, number>,
  before: Map<string, number>,
  after: Map<string, number>,
  names: { gateway: string; worker: string; redis: string },
): TokenMode {
  const windowS = plan.windowMs / 1000;
  const written = plan.jobs * plan.chunksPerS * windowS;
  const sum = (field: keyof Omit<OutputWatchReport, 'latency'>): number =>
    reports.reduce((total, report) => total + report[field], 0);
  const delivered = sum('chunksInWindow');
  const latency = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const report of reports) latency.add(decodeFromCompressedBase64(report.latency));
  const tenths = (percentile: number): number =>
    latency.totalCount === 0 ? 0 : Math.round(latency.getValueAtPercentile(percentile)) / 10;
  const delta = (name?: string): number => {
    if (name) return (after.get(name) ?? 0) - (before.get(name) ?? 0);
    let total = 0;
    for (const [command, calls] of after) total += calls - (before.get(command) ?? 0);
    return total;
  };
  return {
    mode,
    chunksWrittenPerS: written / windowS,
    chunksDeliveredPerS: delivered / windowS,
    framesPerS: sum('framesInWindow') / windowS,
    latencyMs: { count: latency.totalCount, p50: tenths(50), p99: tenths(99), max: latency.maxValue / 10 },
    textAppendsPerChunk: sum('textEventsInWindow') / plan.watchersPerJob / written,
    redisAppendsPerChunk: delta('xadd') / written,
    // The bench's own INFO calls are left out.
    redisCommandsPerChunk: (delta() - delta('info')) / written,
    redisCpuMsPerChunk: (cpuMs[names.redis] ?? 0) / written,
    workerCpuMsPerChunk: (cpuMs[names.worker] ?? 0) / written,
    gatewayCpuMsPerDeliveredChunk: delivered === 0 ? 0 : (cpuMs[names.gateway] ?? 0) / delivered,
    lost: sum('seqErrors'),
    offsetErrors: sum('offsetErrors'),
    unfinished: sum('unfinished'),
  };
}

/** Calls of each command since Redis started (INFO commandstats; commands run by scripts included). */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}
