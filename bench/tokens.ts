/**
 * `npm run bench -- tokens [--jobs N] [--chunks-per-s N] [--watchers N]`: S5, jobs that stream words like a
 * model's tokens, as output streams and as one log event per word, on one gateway; writes
 * bench/results/tokens.{md,json}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeMachine } from './machine';
import { RESULTS_DIR } from './report/write-results';
import { RunContext } from './run-context';
import { runOutputTokens, type OutputTokensPlan, type OutputTokensResult } from './scenarios/s5-output-tokens';
import { JobcastSystem } from './systems/jobcast-system';

type Settings = OutputTokensPlan & { flushMs: number };

function parsePlan(args: readonly string[]): Settings {
  const plan: Settings = {
    jobs: 100,
    chunksPerS: 50,
    watchersPerJob: 10,
    warmupMs: 4000,
    windowMs: 6000,
    // The worker's OUTPUT_FLUSH_MS: its default unless --flush-ms says otherwise.
    flushMs: 25,
  };
  const options: Record<string, keyof Settings> = {
    '--jobs': 'jobs',
    '--chunks-per-s': 'chunksPerS',
    '--watchers': 'watchersPerJob',
    '--flush-ms': 'flushMs',
  };
  for (let i = 0; i < args.length; i += 2) {
    const field = options[args[i] ?? ''];
    const value = Number(args[i + 1]);
    if (!field || !Number.isFinite(value) || value <= 0)
      throw new Error(`usage: npm run bench -- tokens [--jobs N] [--chunks-per-s N] [--watchers N] [--flush-ms N]`);
    plan[field] = value;
  }
  return plan;
}

function render(result: OutputTokensResult, machine: ReturnType<typeof describeMachine>, command: string): string {
  const { plan } = result;
  const rows = result.modes.map((mode) =>
    [
      mode.mode === 'output' ? `output stream (flush ${result.outputFlushMs} ms)` : 'one `log` event per chunk',
      mode.chunksWrittenPerS.toFixed(0),
      mode.chunksDeliveredPerS.toFixed(0),
      mode.framesPerS.toFixed(0),
      mode.latencyMs.p50.toFixed(1),
      mode.latencyMs.p99.toFixed(1),
      mode.textAppendsPerChunk.toFixed(3),
      mode.redisAppendsPerChunk.toFixed(3),
      mode.redisCommandsPerChunk.toFixed(2),
      (mode.redisCpuMsPerChunk * 1000).toFixed(1),
      (mode.workerCpuMsPerChunk * 1000).toFixed(1),
      (mode.gatewayCpuMsPerDeliveredChunk * 1000).toFixed(1),
      `${mode.lost} / ${mode.offsetErrors} / ${mode.unfinished}`,
    ].join(' | '),
  );
  const [output, log] = result.modes;
  const ratio = output && log ? log.textAppendsPerChunk / output.textAppendsPerChunk : 0;
  return [
    '# S5: token streams',
    '',
    `${plan.jobs} jobs × ${plan.chunksPerS} chunks/s (demo.text, one word a chunk), ${plan.watchersPerJob} Socket.IO watchers each, one gateway, one worker; ${plan.warmupMs / 1000} s warm-up, ${plan.windowMs / 1000} s window.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage1m} at the start (shared); Node ${machine.node}; Redis ${machine.redis}; Jobcast ${machine.jobcastCommit}. Command: \`${command}\`.`,
    '',
    '| mode | chunks written/s | chunks delivered/s | frames/s | write → frame p50 ms | p99 ms | text events appended per chunk | all events appended (XADD) per chunk | Redis commands per chunk | Redis CPU µs per chunk | worker CPU µs per chunk | gateway CPU µs per chunk delivered | lost / offset errors / unfinished |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Targets: p50 ≤ OUTPUT_FLUSH_MS + 10 = ${result.outputFlushMs + 10} ms: ${output ? (output.latencyMs.p50 <= result.outputFlushMs + 10 ? 'met' : 'missed') : '—'} (${output?.latencyMs.p50.toFixed(1)} ms); ` +
      `at least 5× fewer Redis appends than one event per chunk: ${ratio >= 5 ? 'met' : 'missed'} (${ratio.toFixed(2)}×); ` +
      `no loss: ${result.modes.every((mode) => mode.lost === 0 && mode.offsetErrors === 0 && mode.unfinished === 0) ? 'met' : 'missed'}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const plan = parsePlan(args);
  const context = new RunContext();
  const machine = describeMachine(context.redisBinary);
  const command = `npm run bench -- tokens ${args.join(' ')}`.trim();
  try {
    // The worker's own progress rate (PROGRESS_MAX_HZ 10), not the bench's 1000: demo.text reports progress per
    // word, which would otherwise add an event per word to both modes alike.
    const env = { PROGRESS_MAX_HZ: '10', OUTPUT_FLUSH_MS: `${plan.flushMs}ms` };
    const jobcast = await context.startSystem(() =>
      JobcastSystem.start(context, { gateways: 1, workers: 1, env }, 'jobcast'),
    );
    const result = await runOutputTokens(context, jobcast, plan, plan.flushMs);
    await context.stopAll();
    context.removeScratch();
    const markdown = render(result, machine, command);
    const name = plan.flushMs === 25 ? 'tokens' : `tokens-flush-${plan.flushMs}ms`;
    writeFileSync(join(RESULTS_DIR, `${name}.md`), markdown);
    writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ command, machine, ...result }, null, 2)}\n`);
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
