import type { MachineInfo } from '../machine';
import type { StreamingMeasurement } from '../scenarios/measure-streaming';
import type { IdleWatchersResult } from '../scenarios/s1-idle-watchers';
import type { RealisticTrafficResult } from '../scenarios/s2-realistic-traffic';
import type { FanOutRampResult } from '../scenarios/s3-fan-out-ramp';
import type { PushVsPollingResult } from '../scenarios/s4-push-vs-polling';
import type { BenchResults, TargetResult } from './results';

type Cell = string | number;

function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const line = (cells: readonly Cell[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number with `digits` decimals and thousands separators. */
function num(value: number, digits = 0): string {
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The header: what ran, where, with what. */
export function renderRunHeader(results: BenchResults): string {
  const { machine } = results;
  return [
    `\`${results.command}\` · ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${num(results.durationS)} s · ` +
      `Jobcast ${machine.jobcastCommit}`,
    '',
    renderMachine(machine),
  ].join('\n');
}

function renderMachine(machine: MachineInfo): string {
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return (
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}, ` +
    `Node ${machine.node}, Redis ${machine.redis}; ${packages}. Open-file limit ${machine.openFileLimit}; ` +
    `load average ${machine.loadAverage1m} at the start (the machine is shared).`
  );
}

export function renderTargets(targets: readonly TargetResult[]): string {
  const verdict = (met: boolean | null): string => (met === null ? 'n/a' : met ? 'yes' : '**no**');
  return table(
    ['scenario', 'target', 'Jobcast', 'baseline', 'Jobcast / baseline', 'met'],
    targets.map((target) => [
      target.scenario,
      target.goal,
      target.jobcast,
      target.baseline,
      target.ratio === undefined ? '—' : num(target.ratio, 2),
      verdict(target.met) + (target.note ? ` (${target.note})` : ''),
    ]),
  );
}

function renderIdle(s1: IdleWatchersResult): string {
  return [
    `## S1: idle watchers on one server process`,
    '',
    `Watchers spread over ${s1.jobs} silent jobs, added step by step; memory after two forced full GCs, ` +
      `growth since before the first watcher.` +
      (s1.cappedAt ? ` Capped at ${num(s1.cappedAt.watchers)}: ${s1.cappedAt.reason}.` : ''),
    '',
    table(
      ['system', 'watchers', 'failed', 'joins/s', 'RSS MiB', 'heap MiB', 'RSS / watcher KiB', 'heap / watcher KiB'],
      s1.steps.map((step) => [
        step.system,
        num(step.watchers),
        num(step.failed),
        num(step.joinsPerS),
        num(step.rssMiB, 1),
        num(step.heapUsedMiB, 1),
        num(step.rssPerWatcherKiB, 1),
        num(step.heapPerWatcherKiB, 1),
      ]),
    ),
  ].join('\n');
}

const STREAMING_HEADERS = [
  'offered ev/s',
  'delivered ev/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'lost / dup / out of order',
  'CPU ms per 1k: servers / server side / clients',
  'loop delay p99 ms',
];

function streamingCells(measurement: StreamingMeasurement): Cell[] {
  const { latencyMs, integrity, cpuMsPer1kDelivered: cpu } = measurement;
  // The servers' (listed first); a server that stopped answering its probe shows so.
  const loopDelays = Object.values(measurement.loopDelayP99Ms).filter((_, i) => i < 2);
  return [
    num(measurement.offeredPerS),
    num(measurement.deliveredPerS),
    latencyMs.p50,
    latencyMs.p99,
    latencyMs.p999,
    latencyMs.max,
    `${integrity.missing} / ${integrity.duplicates} / ${integrity.outOfOrder}`,
    `${num(cpu.servers)} / ${num(cpu.serverSide)} / ${num(cpu.clients)}`,
    loopDelays.map((delay) => (delay === null ? 'no answer' : num(delay, 1))).join(', ') || '—',
  ];
}

function renderRealistic(s2: RealisticTrafficResult): string {
  return [
    `## S2: realistic traffic`,
    '',
    `${s2.jobs} jobs at 2, 5 or 10 Hz (${num(s2.publishedPerS)} events/s), ${num(s2.watchers)} watchers (1–5 ` +
      `per job) alternating between two servers; ${num(s2.measurements[0]?.windowS ?? 0)} s window.`,
    '',
    table(
      ['system', ...STREAMING_HEADERS],
      s2.measurements.map((measurement) => [measurement.system, ...streamingCells(measurement)]),
    ),
    '',
    `Opening the ${s2.jobs} jobs: ` +
      s2.submits.map(({ label, perS }) => `${label} ${num(perS)} submits/s`).join(', ') +
      ` (Jobcast: \`POST /jobs\`, 16 in flight; B only picks ids).`,
  ].join('\n');
}

function renderFanOut(s3: FanOutRampResult): string {
  return [
    `## S3: one job, ${num(s3.watchers)} watchers, publish rate stepped up`,
    '',
    `Watchers alternate between two servers; a step breaks when p99 > 250 ms, fewer than 95% of offered ` +
      `events arrive in the window (give or take the one event per watcher its edges can shift), anything is ` +
      `lost or disconnected, or a server is too busy to answer the bench's probe ("no answer" under loop delay).`,
    '',
    table(
      ['system', 'rate Hz', ...STREAMING_HEADERS, 'sustained'],
      s3.systems.flatMap((system) =>
        system.steps.map((step) => [
          system.system,
          step.hz,
          ...streamingCells(step),
          step.sustained ? 'yes' : `no: ${step.breaks.join(', ')}`,
        ]),
      ),
    ),
  ].join('\n');
}

function renderPushVsPolling(s4: PushVsPollingResult): string {
  return [
    `## S4: push vs polling (baseline D)`,
    '',
    `${s4.jobs} jobs at ${s4.jobHz} Hz, one client each, all on one gateway. Server CPU: that gateway and Redis ` +
      `(the worker does the same work either way). Staleness: push, receipt − \`at\`; polling, receipt − the ` +
      `snapshot's \`updatedAt\` for each poll that showed something new.`,
    '',
    table(
      [
        'mode',
        'updates/s',
        'requests/s: answered / planned',
        'events never seen',
        'staleness p50 ms',
        'p99 ms',
        'server CPU ms',
        'server CPU ms per update',
        'failures',
      ],
      s4.modes.map((mode) => [
        mode.mode,
        num(mode.updatesPerS),
        mode.requests ? `${num(mode.requests.answeredPerS)} / ${num(mode.requests.plannedPerS)}` : '—',
        mode.eventsSkippedShare === undefined ? '0%' : `${num(mode.eventsSkippedShare * 100)}%`,
        mode.stalenessMs.p50,
        mode.stalenessMs.p99,
        num(mode.serverCpuMs),
        num(mode.serverCpuMsPerUpdate, 3),
        mode.failures,
      ]),
    ),
  ].join('\n');
}

const NOTES = [
  "- Latency is receipt time − the event's `at` (stamped by Jobcast's worker, or by B's publisher, just before " +
    'publishing), same machine and clock, in whole ms. "Offered" counts the events published in the window times ' +
    'their watchers; "delivered" the live events that reached a watcher in the window.',
  '- CPU per 1,000 delivered events, from /proc/<pid>/stat: "servers" are the processes clients connect to ' +
    '(gateways, baseline servers); "server side" adds the publishers (Jobcast\'s worker, B\'s emitter process) and ' +
    'Redis; "clients" are the bench\'s own socket.io-client processes, on the same 2 cores.',
  '- Heap and event-loop delay come from a probe the bench preloads (`NODE_OPTIONS=--require`) into every Node ' +
    'process under test; the apps themselves expose nothing for it.',
  `- Loop delay lists the servers' event-loop delay p99 (monitorEventLoopDelay, 10 ms resolution).`,
];

export function renderResults(results: BenchResults): string {
  const { s1, s2, s3, s4 } = results;
  return [
    `# Jobcast benchmarks: ${results.mode} mode`,
    renderRunHeader(results),
    `## Targets (issues 7 and 14)`,
    renderTargets(results.targets),
    ...(s1 ? [renderIdle(s1)] : []),
    ...(s2 ? [renderRealistic(s2)] : []),
    ...(s3 ? [renderFanOut(s3)] : []),
    ...(s4 ? [renderPushVsPolling(s4)] : []),
    `## Notes`,
    NOTES.join('\n'),
    'Every figure, per process: the JSON file beside this one.',
  ].join('\n\n');
}
