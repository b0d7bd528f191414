import { join } from 'node:path';
import type { HttpPollersApi, PollReport } from '../load/http-pollers-api';
import { WatcherPool } from '../load/watcher-pool';
import { mergeHistograms, summarize, type LatencySummary } from '../metrics/latency-histogram';
import { CpuMeter, type MeasuredProcess } from '../metrics/proc-stats';
import { sleepUntil } from '../pacing';
import { RpcProcess } from '../rpc/rpc';
import type { RunContext } from '../run-context';
import type { JobcastSystem } from '../systems/jobcast-system';
import type { JobTraffic } from '../systems/streaming-system';
import { measureStreaming, type StreamingTiming } from './measure-streaming';

export interface PushVsPollingPlan extends StreamingTiming {
  jobs: number;
  /** Each job's progress rate. */
  jobHz: number;
  /** Polling rates of baseline D. */
  pollHz: number[];
}

/** One way of watching the jobs, and what it cost the server per update the client got. */
export interface WatchMode {
  mode: string;
  /** Updates reaching the clients per second: pushed events, or polls that showed a newer snapshot. */
  updatesPerS: number;
  /** Requests per second due in the window and answered, and planned (polling only). */
  requests?: { answeredPerS: number; plannedPerS: number };
  /** Events the client never saw because a later snapshot replaced them (polling only). */
  eventsSkippedShare?: number;
  /** How old an update was when it reached the client. */
  stalenessMs: LatencySummary;
  /** CPU of the gateway serving the clients and of Redis, in the window. */
  serverCpuMs: number;
  serverCpuMsPerUpdate: number;
  failures: number;
}

export interface PushVsPollingResult {
  jobs: number;
  jobHz: number;
  modes: WatchMode[];
}

const POLLER_PROCESSES = 2;
const POLLERS_SCRIPT = join(__dirname, '..', 'load', 'http-pollers.js');
const SUBSCRIBE_ALLOWANCE_MS = 15_000;

/**
 * S4: the same kind of jobs watched by push (a socket per job, one gateway) and by polling `GET /jobs/:id`
 * on that gateway (baseline D). The worker does the same work either way, so the server cost compared is
 * the gateway's and Redis's.
 */
export async function runPushVsPolling(
  context: RunContext,
  jobcast: JobcastSystem,
  plan: PushVsPollingPlan,
): Promise<PushVsPollingResult> {
  const [gateway] = jobcast.processes();
  const redis = jobcast.processes().find((process) => process.role === 'redis');
  const [url] = jobcast.socketUrls;
  if (!gateway || !redis || !url) throw new Error('Jobcast has no gateway or no Redis');
  const setup: ModeSetup = {
    context,
    jobcast,
    url,
    traffic: Array.from({ length: plan.jobs }, () => ({ hz: plan.jobHz })),
    runForMs: SUBSCRIBE_ALLOWANCE_MS + plan.warmupMs + plan.windowMs,
    measured: [gateway, redis],
    timing: plan,
  };
  const modes = [await measurePush(setup)];
  for (const hz of plan.pollHz) modes.push(await measurePolling(setup, hz));
  for (const mode of modes) {
    context.log(
      `S4 ${mode.mode}: ${mode.updatesPerS.toFixed(0)} updates/s, staleness p50 ${mode.stalenessMs.p50} ms, ` +
        `${mode.serverCpuMsPerUpdate.toFixed(3)} server CPU ms per update`,
    );
  }
  return { jobs: plan.jobs, jobHz: plan.jobHz, modes };
}

/** What every mode is measured with: the same jobs on the same gateway, and the processes to account for. */
interface ModeSetup {
  context: RunContext;
  jobcast: JobcastSystem;
  /** The gateway every client uses. */
  url: string;
  traffic: readonly JobTraffic[];
  /** How long each mode's jobs publish. */
  runForMs: number;
  measured: readonly MeasuredProcess[];
  timing: StreamingTiming;
}

async function measurePush({
  context,
  jobcast,
  url,
  traffic,
  runForMs,
  measured,
  timing,
}: ModeSetup): Promise<WatchMode> {
  const watchers = await WatcherPool.forSockets(traffic.length);
  try {
    await watchers.connect(
      traffic.map(() => url),
      jobcast.token,
    );
    const jobIds = await jobcast.openJobs(traffic, runForMs);
    const push = await measureStreaming(context, jobcast, watchers, jobIds, timing, measured);
    const serverCpuMs = measured.reduce((sum, { name }) => sum + (push.cpuMs[name] ?? 0), 0);
    const updates = push.deliveredPerS * push.windowS;
    return {
      mode: 'push (Socket.IO)',
      updatesPerS: push.deliveredPerS,
      stalenessMs: push.latencyMs,
      serverCpuMs,
      serverCpuMsPerUpdate: updates === 0 ? 0 : serverCpuMs / updates,
      failures: push.subscribeFailures + push.integrity.missing + push.integrity.unfinished,
    };
  } finally {
    await watchers.stop();
  }
}

async function measurePolling(
  { jobcast, url, traffic, runForMs, measured, timing }: ModeSetup,
  hz: number,
): Promise<WatchMode> {
  const pollers = await Promise.all(
    Array.from({ length: POLLER_PROCESSES }, (_, i) =>
      RpcProcess.fork<HttpPollersApi>(`pollers-${i + 1}`, POLLERS_SCRIPT),
    ),
  );
  try {
    const jobIds = await jobcast.openJobs(traffic, runForMs);
    const startAt = Date.now() + timing.warmupMs;
    const endAt = startAt + timing.windowMs;
    const polling = Promise.all(
      pollers.map((poller, k) =>
        poller.call('poll', {
          baseUrl: url,
          token: jobcast.token,
          jobIds: jobIds.filter((_, i) => i % POLLER_PROCESSES === k),
          hz,
          startAt,
          endAt,
        }),
      ),
    );
    await sleepUntil(startAt);
    const cpu = CpuMeter.start(measured);
    await sleepUntil(endAt);
    const cpuMs = cpu.stop();
    const reports = await polling;
    await jobcast.finishJobs();
    const serverCpuMs = Object.values(cpuMs).reduce((sum, ms) => sum + ms, 0);
    return pollingMode(hz, jobIds.length, reports, serverCpuMs, timing.windowMs / 1000);
  } finally {
    await Promise.all(pollers.map((poller) => poller.stop()));
  }
}

function pollingMode(
  hz: number,
  jobs: number,
  reports: readonly PollReport[],
  serverCpuMs: number,
  windowS: number,
): WatchMode {
  const sum = (field: 'polls' | 'updates' | 'eventsSkipped' | 'failed'): number =>
    reports.reduce((total, report) => total + report[field], 0);
  const updates = sum('updates');
  return {
    mode: `polling GET /jobs/:id at ${hz} Hz`,
    updatesPerS: updates / windowS,
    requests: { answeredPerS: sum('polls') / windowS, plannedPerS: jobs * hz },
    eventsSkippedShare: sum('eventsSkipped') / (sum('eventsSkipped') + updates || 1),
    stalenessMs: summarize(mergeHistograms(reports.map((report) => report.staleness))),
    serverCpuMs,
    serverCpuMsPerUpdate: updates === 0 ? 0 : serverCpuMs / updates,
    failures: sum('failed'),
  };
}
