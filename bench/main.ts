/**
 * `npm run bench -- [--quick] [--only S1,S3]` (bench/bench.sh builds, compiles and raises the open-file
 * limit first): runs issue 7's scenarios against Jobcast and its baselines on this machine, in one run,
 * and writes bench/results/latest.{md,json} (partial.{md,json} when only some scenarios ran).
 */
import { BaselineSystem } from './baselines/baseline-system';
import { describeMachine } from './machine';
import { PLANS, type BenchMode } from './plan';
import type { BenchResults, ScenarioId } from './report/results';
import { judgeTargets } from './report/targets';
import { renderTargets } from './report/markdown';
import { writeResults } from './report/write-results';
import { RunContext } from './run-context';
import { runIdleWatchers } from './scenarios/s1-idle-watchers';
import { runRealisticTraffic } from './scenarios/s2-realistic-traffic';
import { runFanOutRamp } from './scenarios/s3-fan-out-ramp';
import { runPushVsPolling } from './scenarios/s4-push-vs-polling';
import { JobcastSystem } from './systems/jobcast-system';

const SCENARIOS: readonly ScenarioId[] = ['S1', 'S2', 'S3', 'S4'];
const USAGE = 'usage: npm run bench -- [--quick] [--only S1,S2,S3,S4]';

interface BenchOptions {
  mode: BenchMode;
  scenarios: ReadonlySet<ScenarioId>;
}

function parseOptions(args: readonly string[]): BenchOptions {
  let mode: BenchMode = 'full';
  let scenarios = new Set(SCENARIOS);
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--full') mode = 'full';
    else if (arg === '--only') {
      const names = (args[++i] ?? '').toUpperCase().split(',');
      if (!names.every((name): name is ScenarioId => (SCENARIOS as readonly string[]).includes(name))) {
        throw new Error(USAGE);
      }
      scenarios = new Set(names);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return { mode, scenarios };
}

/** How the run was started, for the results: the npm command when npm started it. */
function commandLine(args: readonly string[]): string {
  const given = args.join(' ');
  return process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${given ? ` -- ${given}` : ''}`
    : `node bench/dist/main.js ${given}`.trim();
}

/** Starts a system on first use; S2–S4 share one Jobcast and one baseline B. */
function onFirstUse<Value>(start: () => Promise<Value>): () => Promise<Value> {
  let started: Promise<Value> | undefined;
  return () => (started ??= start());
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  const plan = PLANS[options.mode];
  const context = new RunContext();
  const startedAt = new Date();
  const interrupt = (signal: string): void => {
    context.log(`${signal}: stopping everything the bench started`);
    void context.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));

  const machine = describeMachine(context.redisBinary);
  context.log(`${options.mode} mode, ${[...options.scenarios].join(' ')}; scratch files in ${context.dir}`);
  const jobcast = onFirstUse(() =>
    context.startSystem(() => JobcastSystem.start(context, { gateways: 2, workers: 1 }, 'jobcast')),
  );
  const baselineB = onFirstUse(() => context.startSystem(() => BaselineSystem.start(context, 'B')));
  const run = (scenario: ScenarioId): boolean => options.scenarios.has(scenario);

  const measured: Omit<BenchResults, 'targets' | 'durationS'> = {
    mode: options.mode,
    command: commandLine(args),
    startedAt: startedAt.toISOString(),
    machine,
    plan,
  };
  try {
    if (run('S1')) measured.s1 = await runIdleWatchers(context, plan.s1);
    if (run('S2')) measured.s2 = await runRealisticTraffic(context, [await jobcast(), await baselineB()], plan.s2);
    if (run('S3')) {
      const systems = [await jobcast(), (await jobcast()).withPlainWatchers(), await baselineB()];
      measured.s3 = await runFanOutRamp(context, systems, plan.s3);
    }
    if (run('S4')) measured.s4 = await runPushVsPolling(context, await jobcast(), plan.s4);
  } catch (error) {
    context.log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    context.log(`process logs kept in ${context.dir}`);
    await context.stopAll();
    process.exit(1);
  }
  await context.stopAll();
  context.removeScratch();

  const durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const results: BenchResults = { ...measured, durationS, targets: judgeTargets(measured) };
  const written = await writeResults(results, options.scenarios.size === SCENARIOS.length ? 'latest' : 'partial');
  process.stdout.write(`\n${renderTargets(results.targets)}\n\n`);
  context.log(`${durationS} s; results in ${written} and beside it as JSON`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
