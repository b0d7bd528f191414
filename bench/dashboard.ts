/**
 * `npm run bench -- dashboard [--watchers W] [--jobs N] [--hz H] [--window-s S]`: S6, dashboards of a batch,
 * watched through the batch's feed and job by job, on one gateway; writes bench/results/dashboard.{md,json}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeMachine } from './machine';
import { RESULTS_DIR } from './report/write-results';
import { RunContext } from './run-context';
import { runDashboard, type DashboardPlan, type DashboardResult } from './scenarios/s6-dashboard';
import { JobcastSystem } from './systems/jobcast-system';

/** The gateway's and worker's default FEED_MAX_HZ, which this run keeps. */
const FEED_MAX_HZ = 4;
const USAGE = 'usage: npm run bench -- dashboard [--watchers W] [--jobs N] [--hz H] [--window-s S]';

function parsePlan(args: readonly string[]): DashboardPlan {
  const plan: DashboardPlan = { watchers: 20, jobs: 100, hz: 10, warmupMs: 3000, windowMs: 8000 };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(USAGE);
    if (args[i] === '--watchers') plan.watchers = value;
    else if (args[i] === '--jobs') plan.jobs = value;
    else if (args[i] === '--hz') plan.hz = value;
    else if (args[i] === '--window-s') plan.windowMs = value * 1000;
    else throw new Error(USAGE);
  }
  return plan;
}

function render(result: DashboardResult, machine: ReturnType<typeof describeMachine>, command: string): string {
  const { plan } = result;
  const rows = result.modes.map((mode) =>
    [
      mode.mode === 'feed' ? 'the batch’s feed (`subscribe {feed: {batch}}`)' : 'each job (`subscribe {jobId}` × N)',
      mode.updatesPerS.toFixed(0),
      mode.updatesPerJobPerS.toFixed(2),
      mode.messagesPerS.toFixed(0),
      mode.latencyMs.p50.toFixed(0),
      mode.latencyMs.p99.toFixed(0),
      mode.gatewayCpuUsPerUpdate.toFixed(1),
      mode.redisCpuUsPerUpdate.toFixed(1),
      mode.gatewayRssKbPerWatcher.toFixed(0),
      String(mode.closed),
    ].join(' | '),
  );
  const feed = result.modes.find((mode) => mode.mode === 'feed');
  const perJob = result.modes.find((mode) => mode.mode === 'per-job');
  const met = feed && perJob && feed.gatewayCpuUsPerUpdate <= perJob.gatewayCpuUsPerUpdate;
  return [
    '# S6: a dashboard of a batch',
    '',
    `${plan.watchers} watchers (plain WebSocket), each watching every job of a batch of ${plan.jobs} demo.steps jobs at ${plan.hz} Hz (\`POST /batches\`), one gateway, one worker, FEED_MAX_HZ ${result.feedMaxHz}; first through the batch's feed, then (a new batch) subscribing to each job one by one. ${plan.warmupMs / 1000} s warm-up, ${plan.windowMs / 1000} s window each.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage1m} at the start (shared); Node ${machine.node}; Redis ${machine.redis}; Jobcast ${machine.jobcastCommit}. Command: \`${command}\`.`,
    '',
    '| watching | job updates delivered/s | per job per watcher per s | messages/s | change → receipt p50 ms | p99 ms | gateway CPU µs per update | Redis CPU µs per update | gateway RSS KiB per watcher | closed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row} |`),
    '',
    `A feed carries a job's progress at most FEED_MAX_HZ (${result.feedMaxHz}) times a second, the newest winning; a job's own subscription carries every event (${plan.hz} a second). Latency: from the snapshot's \`updatedAt\` (feed) or the event's \`at\` (per job) to receipt, whole ms; the feed's includes its pacing. RSS: the gateway's growth from before the batch to the end of the window, without a forced GC.`,
    '',
    `Target: a feed update costs the gateway at most what a per-job event delivery costs: ${met ? 'met' : 'missed'} (${feed?.gatewayCpuUsPerUpdate.toFixed(1)} µs ≤ ${perJob?.gatewayCpuUsPerUpdate.toFixed(1)} µs).`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const plan = parsePlan(args);
  const context = new RunContext();
  const machine = describeMachine(context.redisBinary);
  const command = `npm run bench -- dashboard ${args.join(' ')}`.trim();
  try {
    // In the per-job mode one socket subscribes to every job of the batch, as fast as it is answered: the limits
    // that protect a public gateway from that (100 jobs a socket, 20 subscribes a second) are lifted, as others are.
    const env = {
      FEED_MAX_HZ: String(FEED_MAX_HZ),
      SOCKET_MAX_SUBSCRIPTIONS: String(Math.max(100, plan.jobs)),
      SOCKET_SUBSCRIBE_RATE: '100000',
    };
    const jobcast = await context.startSystem(() =>
      JobcastSystem.start(context, { gateways: 1, workers: 1, env }, 'jobcast'),
    );
    const result = await runDashboard(context, jobcast, plan, FEED_MAX_HZ);
    await context.stopAll();
    context.removeScratch();
    const markdown = render(result, machine, command);
    writeFileSync(join(RESULTS_DIR, 'dashboard.md'), markdown);
    writeFileSync(join(RESULTS_DIR, 'dashboard.json'), `${JSON.stringify({ command, machine, ...result }, null, 2)}\n`);
    process.stdout.write(`\n${markdown}`);
  } catch (error) {
    context.log(
      `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}; logs in ${context.dir}`,
    );
    await context.stopAll();
    process.exit(1);
  }
}

void main();
