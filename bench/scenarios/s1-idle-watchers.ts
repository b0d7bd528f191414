import { BaselineSystem } from '../baselines/baseline-system';
import { WatcherPool } from '../load/watcher-pool';
import { openFileLimit } from '../machine';
import { queryProbe } from '../metrics/probe';
import { rssBytes, type MeasuredProcess } from '../metrics/proc-stats';
import { sleep } from '../pacing';
import type { RunContext } from '../run-context';
import { JobcastSystem } from '../systems/jobcast-system';
import type { StreamingSystem } from '../systems/streaming-system';

export interface IdleWatchersPlan {
  /** Watchers on one server at each step; steps add watchers to those already connected. */
  steps: number[];
  /** Jobs the watchers spread over. */
  jobs: number;
}

export interface IdleStep {
  system: string;
  watchers: number;
  failed: number;
  /** Connects + subscribes per second while this step's watchers joined. */
  joinsPerS: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Growth since before the first watcher, per watcher; memory read after two forced full GCs. */
  rssPerWatcherKiB: number;
  heapPerWatcherKiB: number;
}

export interface IdleWatchersResult {
  jobs: number;
  steps: IdleStep[];
  /** Set when the open-file limit kept the steps below the plan. */
  cappedAt?: { watchers: number; reason: string };
}

/** File descriptors a server needs besides its watchers' sockets (Redis, logs, listeners, the probe). */
const FD_HEADROOM = 200;
/** Time for the last acks and their garbage to settle before memory is read. */
const SETTLE_MS = 1000;
const KIB = 1024;
const MIB = 1024 * 1024;

/**
 * S1: idle watchers on ONE server process — a Jobcast gateway (no worker, so the watched jobs stay silent)
 * watched over Socket.IO, another watched over the plain WebSocket, and baseline C — added step by step; at each step, memory per watcher and how fast they joined.
 */
export async function runIdleWatchers(context: RunContext, plan: IdleWatchersPlan): Promise<IdleWatchersResult> {
  const fdLimit = openFileLimit();
  const maxWatchers = fdLimit - FD_HEADROOM;
  const steps = [...new Set(plan.steps.map((step) => Math.min(step, maxWatchers)))];
  const capped = Math.max(...plan.steps) > maxWatchers;
  const starters: Array<() => Promise<StreamingSystem>> = [
    () => context.startSystem(() => JobcastSystem.start(context, { gateways: 1, workers: 0 }, 'jobcast-idle')),
    () =>
      context.startSystem(async () =>
        (await JobcastSystem.start(context, { gateways: 1, workers: 0 }, 'jobcast-idle-plain')).withPlainWatchers(),
      ),
    () => context.startSystem(() => BaselineSystem.start(context, 'C')),
  ];
  const results: IdleStep[] = [];
  for (const start of starters) {
    const system = await start();
    try {
      results.push(...(await measureIdleSteps(context, system, steps, plan.jobs)));
    } finally {
      await context.stopSystem(system);
    }
  }
  return {
    jobs: plan.jobs,
    steps: results,
    ...(capped && {
      cappedAt: {
        watchers: maxWatchers,
        reason: `the open-file limit, ${fdLimit}, leaves one server process ${maxWatchers} sockets`,
      },
    }),
  };
}

async function measureIdleSteps(
  context: RunContext,
  system: StreamingSystem,
  steps: readonly number[],
  jobs: number,
): Promise<IdleStep[]> {
  const [server] = system.processes();
  const [url] = system.socketUrls;
  if (!server || !url) throw new Error(`${system.label} has no server`);
  const jobIds = await system.openJobs(
    Array.from({ length: jobs }, () => ({ hz: 0 })),
    0,
  );
  const watchers = await WatcherPool.forSockets(Math.max(...steps));
  const results: IdleStep[] = [];
  try {
    const before = await memoryAfterGc(context, server);
    let opened = 0;
    let failed = 0;
    for (const step of steps) {
      const joinStart = Date.now();
      const urls = Array.from({ length: step - opened }, () => url);
      await watchers.connect(urls, system.token, system.watcherProtocol);
      const subscription = await watchers.subscribe(
        urls.map((_, i) => jobIds[(opened + i) % jobs] as string),
        opened,
      );
      const joinS = (Date.now() - joinStart) / 1000;
      failed += subscription.failed;
      opened = step;
      const watching = opened - failed;
      await sleep(SETTLE_MS);
      const after = await memoryAfterGc(context, server);
      results.push({
        system: system.label,
        watchers: watching,
        failed,
        joinsPerS: subscription.subscribed / joinS,
        rssMiB: after.rss / MIB,
        heapUsedMiB: after.heapUsed / MIB,
        rssPerWatcherKiB: (after.rss - before.rss) / watching / KIB,
        heapPerWatcherKiB: (after.heapUsed - before.heapUsed) / watching / KIB,
      });
      context.log(
        `S1 ${system.label}: ${watching} idle watchers (${failed} failed), ` +
          `${((after.rss - before.rss) / watching / KIB).toFixed(1)} KiB RSS each`,
      );
    }
  } finally {
    await watchers.stop();
    await system.finishJobs();
  }
  return results;
}

/** Heap after two full GCs (the probe), then RSS, which the GC may have just shrunk. */
async function memoryAfterGc(context: RunContext, server: MeasuredProcess): Promise<{ rss: number; heapUsed: number }> {
  const { heapUsed } = await queryProbe(context.probeDir, server.pid, 'heap');
  return { heapUsed, rss: rssBytes(server.pid) };
}
