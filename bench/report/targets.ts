import { BASELINE_LABELS } from '../baselines/baseline-system';
import type { IdleWatchersResult } from '../scenarios/s1-idle-watchers';
import type { RealisticTrafficResult } from '../scenarios/s2-realistic-traffic';
import type { FanOutRampResult } from '../scenarios/s3-fan-out-ramp';
import type { PushVsPollingResult } from '../scenarios/s4-push-vs-polling';
import { JOBCAST_LABEL, JOBCAST_PLAIN_LABEL } from '../systems/jobcast-system';
import type { BenchResults, TargetResult } from './results';

/** S1's capacity target: watchers on one gateway process. */
const S1_CAPACITY = 20_000;
/** S2: how far Jobcast's delivered share of the offered events may trail B's (window-edge noise). */
const S2_SHARE_TOLERANCE = 0.01;

/** Issue 14's: a plain WebSocket watcher's memory against a Socket.IO one's, its gateway CPU against B's. */
const PLAIN_MEMORY_RATIO = 0.6;
const PLAIN_CPU_RATIO = 0.7;

/** Issues 7's and 14's targets, each judged on the figures of the scenarios that ran. */
export function judgeTargets(results: Pick<BenchResults, 's1' | 's2' | 's3' | 's4'>): TargetResult[] {
  return [
    ...(results.s1 ? [...idleTargets(results.s1), ...plainIdleTarget(results.s1)] : []),
    ...(results.s2 ? realisticTargets(results.s2) : []),
    ...(results.s3 ? [fanOutTarget(results.s3), ...plainCpuTarget(results.s3)] : []),
    ...(results.s4 ? pushTargets(results.s4) : []),
  ];
}

function plainIdleTarget(s1: IdleWatchersResult): TargetResult[] {
  const top = (label: string) => s1.steps.filter((step) => step.system === label).at(-1);
  const plain = top(JOBCAST_PLAIN_LABEL);
  const socketIo = top(JOBCAST_LABEL);
  if (!plain || !socketIo) return [];
  const ratio = plain.rssPerWatcherKiB / socketIo.rssPerWatcherKiB;
  return [
    {
      scenario: 'S1',
      goal: `RSS per idle plain WebSocket watcher ≤ ${PLAIN_MEMORY_RATIO} × a Socket.IO watcher's`,
      jobcast: `${plain.rssPerWatcherKiB.toFixed(1)} KiB at ${plain.watchers} (plain WebSocket)`,
      baseline: `${socketIo.rssPerWatcherKiB.toFixed(1)} KiB at ${socketIo.watchers} (Jobcast over Socket.IO)`,
      ratio,
      met: ratio <= PLAIN_MEMORY_RATIO,
    },
  ];
}

/** Gateway CPU per 1,000 deliveries to plain WebSocket watchers against B's, at the fastest rate both sustained. */
function plainCpuTarget(s3: FanOutRampResult): TargetResult[] {
  const steps = (label: string) => s3.systems.find((system) => system.system === label)?.steps ?? [];
  const plain = steps(JOBCAST_PLAIN_LABEL);
  const baseline = steps(BASELINE_LABELS.B);
  if (plain.length === 0 || baseline.length === 0) return [];
  const both = plain
    .filter((step) => step.sustained)
    .map((step) => ({ plain: step, b: baseline.find((other) => other.hz === step.hz && other.sustained) }))
    .filter((pair) => pair.b !== undefined)
    .at(-1);
  const goal = `server CPU per delivery, plain WebSocket watchers, ≤ ${PLAIN_CPU_RATIO} × B's`;
  if (!both?.b) {
    return [{ scenario: 'S3', goal, jobcast: '—', baseline: '—', met: null, note: 'no rate sustained by both' }];
  }
  const ratio = both.plain.cpuMsPer1kDelivered.servers / both.b.cpuMsPer1kDelivered.servers;
  return [
    {
      scenario: 'S3',
      goal,
      jobcast: `${both.plain.cpuMsPer1kDelivered.servers.toFixed(1)} ms per 1k at ${both.plain.hz} Hz × ${s3.watchers}`,
      baseline: `${both.b.cpuMsPer1kDelivered.servers.toFixed(1)} ms per 1k`,
      ratio,
      met: ratio <= PLAIN_CPU_RATIO,
    },
  ];
}

function idleTargets(s1: IdleWatchersResult): TargetResult[] {
  const jobcast = s1.steps.filter((step) => step.system === JOBCAST_LABEL);
  const baseline = s1.steps.filter((step) => step.system === BASELINE_LABELS.C);
  const jobcastTop = jobcast.at(-1);
  const baselineTop = baseline.at(-1);
  const targets: TargetResult[] = [];
  if (jobcastTop && baselineTop) {
    const ratio = jobcastTop.rssPerWatcherKiB / baselineTop.rssPerWatcherKiB;
    targets.push({
      scenario: 'S1',
      goal: 'RSS per idle watcher ≤ baseline C',
      jobcast: `${jobcastTop.rssPerWatcherKiB.toFixed(1)} KiB at ${jobcastTop.watchers}`,
      baseline: `${baselineTop.rssPerWatcherKiB.toFixed(1)} KiB at ${baselineTop.watchers}`,
      ratio,
      met: ratio <= 1,
    });
  }
  const reached = Math.max(0, ...jobcast.filter((step) => step.failed === 0).map((step) => step.watchers));
  const tried = Math.max(0, ...jobcast.map((step) => step.watchers + step.failed));
  const untried = s1.cappedAt
    ? `not reachable here: ${s1.cappedAt.reason}`
    : tried < S1_CAPACITY
      ? 'not tried in this mode'
      : undefined;
  targets.push({
    scenario: 'S1',
    goal: `≥ ${S1_CAPACITY.toLocaleString('en')} watchers on one gateway`,
    jobcast: `${reached.toLocaleString('en')} with none failing`,
    baseline: '—',
    met: reached >= S1_CAPACITY ? true : untried ? null : false,
    ...(untried && { note: untried }),
  });
  return targets;
}

function realisticTargets(s2: RealisticTrafficResult): TargetResult[] {
  const jobcast = s2.measurements.find((m) => m.system === JOBCAST_LABEL);
  const baseline = s2.measurements.find((m) => m.system === BASELINE_LABELS.B);
  if (!jobcast || !baseline) return [];
  const share = (m: typeof jobcast): number => (m.offeredPerS === 0 ? 0 : m.deliveredPerS / m.offeredPerS);
  const delivered = (m: typeof jobcast): string =>
    `${m.deliveredPerS.toFixed(0)}/s, ${(share(m) * 100).toFixed(1)}% of offered, ${m.integrity.missing} lost`;
  const p99Ratio = jobcast.latencyMs.p99 / Math.max(1, baseline.latencyMs.p99);
  return [
    {
      scenario: 'S2',
      goal: 'delivers as many events/s as B',
      jobcast: delivered(jobcast),
      baseline: delivered(baseline),
      ratio: jobcast.deliveredPerS / baseline.deliveredPerS,
      met: share(jobcast) >= share(baseline) - S2_SHARE_TOLERANCE && jobcast.integrity.missing === 0,
      note: 'judged on the share of offered events delivered, since the two publishers pace the load a little differently',
    },
    {
      scenario: 'S2',
      goal: 'p99 latency ≤ 1.2 × B',
      jobcast: `${jobcast.latencyMs.p99} ms`,
      baseline: `${baseline.latencyMs.p99} ms`,
      ratio: p99Ratio,
      met: p99Ratio <= 1.2,
    },
  ];
}

function fanOutTarget(s3: FanOutRampResult): TargetResult {
  const jobcast = s3.systems.find((system) => system.system === JOBCAST_LABEL);
  const baseline = s3.systems.find((system) => system.system === BASELINE_LABELS.B);
  const describe = (result: typeof jobcast): string =>
    !result
      ? '—'
      : result.maxSustainedHz === 0
        ? `none sustained (broke at ${result.steps[0]?.hz ?? '?'} Hz × ${s3.watchers})`
        : `${result.maxSustainedDeliveredPerS.toFixed(0)}/s (${result.maxSustainedHz} Hz × ${s3.watchers})` +
          (result.steps.every((step) => step.sustained) ? ', never broke' : '');
  const ratio =
    jobcast && baseline && baseline.maxSustainedDeliveredPerS > 0
      ? jobcast.maxSustainedDeliveredPerS / baseline.maxSustainedDeliveredPerS
      : undefined;
  // B breaking at the first step while Jobcast sustains some is a win no ratio can express.
  const onlyJobcastSustained =
    jobcast !== undefined && jobcast.maxSustainedHz > 0 && baseline !== undefined && baseline.maxSustainedHz === 0;
  return {
    scenario: 'S3',
    goal: 'delivered events/s at the breaking point ≥ 2 × B',
    jobcast: describe(jobcast),
    baseline: describe(baseline),
    ...(ratio !== undefined && { ratio }),
    met: onlyJobcastSustained ? true : ratio === undefined ? null : ratio >= 2,
    ...(onlyJobcastSustained && { note: 'B sustained no step' }),
  };
}

function pushTargets(s4: PushVsPollingResult): TargetResult[] {
  const [push, ...polling] = s4.modes;
  const poll1Hz = polling[0];
  if (!push || !poll1Hz) return [];
  const cpuRatio = push.serverCpuMsPerUpdate / poll1Hz.serverCpuMsPerUpdate;
  return [
    {
      scenario: 'S4',
      goal: 'server CPU per update ≤ 1/10 of 1 Hz polling',
      jobcast: `${push.serverCpuMsPerUpdate.toFixed(3)} ms`,
      baseline: `${poll1Hz.serverCpuMsPerUpdate.toFixed(3)} ms (${poll1Hz.mode})`,
      ratio: cpuRatio,
      met: cpuRatio <= 0.1,
    },
    {
      scenario: 'S4',
      goal: 'p50 staleness < 5 ms (polling: hundreds)',
      jobcast: `${push.stalenessMs.p50} ms`,
      baseline: polling.map((mode) => `${mode.stalenessMs.p50} ms (${mode.mode.replace(/.* at /, '')})`).join(', '),
      ratio: push.stalenessMs.p50 / Math.max(1, poll1Hz.stalenessMs.p50),
      met: push.stalenessMs.p50 < 5,
    },
  ];
}
