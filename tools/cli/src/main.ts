#!/usr/bin/env node
import { connect, JobcastError, JobcastHttp, type Parser } from '@jobcast/client';
import {
  AppendEventsResponseSchema,
  BatchSnapshotSchema,
  JobSnapshotSchema,
  ListJobsResponseSchema,
  SubmitBatchResponseSchema,
  ListJobTypesResponseSchema,
  JobStatusSchema,
  WatchTokenSchema,
  SubmitJobResponseSchema,
  type DevTokenRequest,
  type JobEvent,
  type BatchSnapshot,
  type Feed,
  type SubmitBatchRequest,
  type SubmitJobRequest,
} from '@jobcast/contracts';
import { parseArgs } from 'node:util';
import { BatchView, describeJobs } from './batch-view';
import { CliError, ExitCode } from './cli-error';
import { FeedView } from './feed-view';
import { describeJobTypes } from './job-types-view';
import { plainText, terminalJson } from './terminal-text';
import { bearerToken } from './token-source';
import { WatchView } from './watch-view';

const DEFAULT_URL = 'http://localhost:3000';

const USAGE = `Usage: jobcast <command> [options]

Commands:
  token --sub NAME [--tenant T] [--scope "jobs:submit jobs:read jobs:publish"]
                                    print a dev token (from a gateway started with DEV_TOKENS=1);
                                    with --scope, a service's
  watch-token JOB_ID                print a token that reads and watches that one job, as JSON
  publish JOB_ID --event JSON [--event JSON ...] [--idempotency-key K]
                                    append events to an external job, in order, all or none
  submit TYPE [--payload JSON] [--attempts N] [--idempotency-key K] [--watch]
                                    submit a job and print it, or watch it to its end with --watch
  watch JOB_ID                      follow a job live: progress bar, percent, stage, message, ETA and
                                    log lines, then its result or error
  status JOB_ID                     print the job's snapshot as JSON
  jobs [--tag T] [--batch B] [--status S] [--type T] [--limit N] [--json]
                                    list your jobs, newest first, filters combined, as a table
  jobs [--tag T | --batch B] [--status S] [--type T] --watch
                                    follow your jobs (or a tag's, or a batch's) live: a table redrawn
                                    in place on a terminal, else a line per change; until Ctrl-C, or
                                    with --batch until the batch is done
  batch TYPE --count N [--payload JSON] [--tag T ...] [--idempotency-key K] [--watch]
                                    submit N jobs of TYPE as one batch and print its id; with
                                    --watch, follow its progress bar (polled) to its end
  types [--json]                    list the registered job types: workers, attempts, payload fields

Options:
  --url URL[,URL...]  gateways, tried in that order (env JOBCAST_URL; default ${DEFAULT_URL})
  --token-file FILE   read the bearer token from FILE (env JOBCAST_TOKEN_FILE)
  --token TOKEN       bearer token; other users of this machine see it in \`ps\`: prefer
                      JOBCAST_TOKEN or --token-file
  -h, --help          show this help

Exit status: 0 completed, 1 failed, 2 cancelled, 3 usage or HTTP error (its code is printed); a watched
batch (batch --watch, jobs --batch B --watch): 1 when any job failed, else 2 when any was cancelled;
jobs --watch stopped by Ctrl-C or SIGTERM: 0.`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  sub: { type: 'string' },
  tenant: { type: 'string' },
  payload: { type: 'string' },
  attempts: { type: 'string' },
  'idempotency-key': { type: 'string' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
  scope: { type: 'string' },
  event: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  batch: { type: 'string' },
  status: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  count: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Each command: its positional argument, if any, and the options it takes beside --url and the token's. */
const COMMANDS: Record<string, { argument?: string; options: OptionName[] }> = {
  token: { options: ['sub', 'tenant', 'scope'] },
  'watch-token': { argument: 'JOB_ID', options: [] },
  publish: { argument: 'JOB_ID', options: ['event', 'idempotency-key'] },
  submit: { argument: 'TYPE', options: ['payload', 'attempts', 'idempotency-key', 'watch'] },
  watch: { argument: 'JOB_ID', options: [] },
  status: { argument: 'JOB_ID', options: [] },
  types: { options: ['json'] },
  jobs: { options: ['tag', 'batch', 'status', 'type', 'limit', 'json', 'watch'] },
  batch: { argument: 'TYPE', options: ['count', 'payload', 'tag', 'idempotency-key', 'watch'] },
};

/** How often `jobcast batch --watch` reads the batch. */
const BATCH_POLL_MS = 500;

const tokenAnswer: Parser<{ token: string }> = {
  parse: (input) => {
    const token = (input as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') throw new TypeError('no token');
    return { token };
  },
};

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError('USAGE', error instanceof Error ? error.message : String(error));
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [name, argument, ...extra] = positionals;
  if (values.help || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.COMPLETED;
  }
  if (name === undefined) throw new CliError('USAGE', 'No command given');
  const command = COMMANDS[name];
  if (!command) throw new CliError('USAGE', `Unknown command "${name}"`);
  if (command.argument && argument === undefined) throw new CliError('USAGE', `${name} needs ${command.argument}`);
  const unexpected = command.argument ? extra : [argument, ...extra].filter((value) => value !== undefined);
  if (unexpected.length > 0) throw new CliError('USAGE', `Unexpected argument "${unexpected[0]}"`);
  for (const option of Object.keys(values) as OptionName[]) {
    if (!['url', 'token', 'token-file', 'help', ...command.options].includes(option))
      throw new CliError('USAGE', `--${option} is not an option of ${name}`);
  }

  const urls = gatewayUrls(values.url ?? process.env.JOBCAST_URL ?? DEFAULT_URL);
  if (name === 'token') {
    if (!values.sub) throw new CliError('USAGE', 'token needs --sub NAME');
    const request: DevTokenRequest = {
      sub: values.sub,
      ...(values.tenant !== undefined && { tenant: values.tenant }),
      ...(values.scope !== undefined && { scope: values.scope }),
    };
    const { token } = await new JobcastHttp({ urls }).request('POST', '/auth/dev-token', tokenAnswer, request);
    process.stdout.write(`${token}\n`);
    return ExitCode.COMPLETED;
  }

  const token = bearerToken({ token: values.token, tokenFile: values['token-file'] }, process.env, (warning) =>
    process.stderr.write(`jobcast: warning: ${warning}\n`),
  );
  if (!token) {
    throw new CliError(
      'USAGE',
      `${name} needs a token: JOBCAST_TOKEN, --token-file or JOBCAST_TOKEN_FILE (\`jobcast token --sub NAME\` gives a dev one)`,
    );
  }
  const http = new JobcastHttp({ urls, token });
  const target = argument as string;
  switch (name) {
    case 'status': {
      const snapshot = await http.request('GET', `/jobs/${encodeURIComponent(target)}`, JobSnapshotSchema);
      process.stdout.write(`${terminalJson(snapshot)}\n`);
      return ExitCode.COMPLETED;
    }
    case 'watch':
      return watchJob(urls, token, target);
    case 'watch-token': {
      const path = `/jobs/${encodeURIComponent(target)}/watch-token`;
      const watchToken = await http.request('POST', path, WatchTokenSchema);
      process.stdout.write(`${JSON.stringify(watchToken)}\n`);
      return ExitCode.COMPLETED;
    }
    case 'publish': {
      if (!values.event?.length) throw new CliError('USAGE', 'publish needs at least one --event JSON');
      const events = values.event.map((event) => parseJson(event, '--event'));
      const path = `/jobs/${encodeURIComponent(target)}/events`;
      const key = values['idempotency-key'];
      const headers: Record<string, string> = key === undefined ? {} : { 'idempotency-key': key };
      const { lastSeq } = await http.request('POST', path, AppendEventsResponseSchema, { events }, headers);
      process.stdout.write(`${lastSeq}\n`);
      return ExitCode.COMPLETED;
    }
    case 'jobs': {
      if ((values.tag?.length ?? 0) > 1) throw new CliError('USAGE', 'jobs takes one --tag');
      if (values.watch) return watchFeed(urls, token, values);
      const query = new URLSearchParams();
      for (const [option, value] of [
        ['tag', values.tag?.[0]],
        ['batch', values.batch],
        ['status', values.status],
        ['type', values.type],
        ['limit', values.limit],
      ] as const) {
        if (value !== undefined) query.set(option, value);
      }
      const { jobs } = await http.request('GET', `/jobs?${query.toString()}`, ListJobsResponseSchema);
      process.stdout.write(values.json ? `${terminalJson(jobs)}\n` : describeJobs(jobs));
      return ExitCode.COMPLETED;
    }
    case 'batch': {
      if (values.count === undefined) throw new CliError('USAGE', 'batch needs --count N');
      const count = parseCount(values.count, '--count');
      const payload = values.payload === undefined ? undefined : parseJson(values.payload, '--payload');
      const request: SubmitBatchRequest = {
        jobs: Array.from({ length: count }, () => ({ type: target, ...(payload !== undefined && { payload }) })),
        ...(values.tag !== undefined && { tags: values.tag }),
      };
      const key = values['idempotency-key'];
      const headers: Record<string, string> = key === undefined ? {} : { 'idempotency-key': key };
      const { batch } = await http.request('POST', '/batches', SubmitBatchResponseSchema, request, headers);
      process.stdout.write(`${batch.id}\n`);
      return values.watch ? watchBatch(http, batch) : ExitCode.COMPLETED;
    }
    case 'types': {
      const { jobTypes } = await http.request('GET', '/job-types', ListJobTypesResponseSchema);
      process.stdout.write(values.json ? `${terminalJson(jobTypes)}\n` : describeJobTypes(jobTypes));
      return ExitCode.COMPLETED;
    }
    default: {
      const request: SubmitJobRequest = {
        type: target,
        ...(values.payload !== undefined && { payload: parseJson(values.payload, '--payload') }),
        ...(values.attempts !== undefined && { attempts: parseCount(values.attempts, '--attempts') }),
        ...(values['idempotency-key'] !== undefined && { idempotencyKey: values['idempotency-key'] }),
      };
      const { job } = await http.request('POST', '/jobs', SubmitJobResponseSchema, request);
      if (!values.watch) {
        process.stdout.write(`${terminalJson(job)}\n`);
        return ExitCode.COMPLETED;
      }
      process.stdout.write(`job ${plainText(job.id)} (${plainText(job.type)})\n`);
      return watchJob(urls, token, job.id);
    }
  }
}

/** Follows the job with the typed client (which reconnects and resumes by itself) to its end. */
async function watchJob(urls: string[], token: string, jobId: string): Promise<number> {
  const view = new WatchView(process.stdout);
  const client = connect({ urls, token });
  const interrupted = (): void => {
    view.endBar();
    client.close();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  client.onState((state, url, notice) => view.connection(state, url, notice));
  const watch = client.watch(jobId);
  watch.onEvent((event) => view.event(event, watch.snapshot));
  let terminal: JobEvent;
  try {
    terminal = await watch.done;
  } catch (error) {
    view.endBar();
    throw error;
  } finally {
    client.close();
    process.off('SIGINT', interrupted);
  }
  view.finish(terminal);
  if (terminal.type === 'completed') return ExitCode.COMPLETED;
  return terminal.type === 'failed' ? ExitCode.FAILED : ExitCode.CANCELLED;
}

/**
 * Follows a batch by reading it every BATCH_POLL_MS until every job has ended (feeds will make this live).
 * Exits as batchExitCode says.
 */
async function watchBatch(http: JobcastHttp, first: BatchSnapshot): Promise<number> {
  const view = new BatchView(process.stdout);
  const path = `/batches/${encodeURIComponent(first.id)}`;
  let batch = first;
  try {
    for (;;) {
      view.show(batch);
      if (batch.done) break;
      await new Promise((resolve) => setTimeout(resolve, BATCH_POLL_MS));
      batch = await http.request('GET', path, BatchSnapshotSchema);
    }
  } finally {
    view.end();
  }
  return batchExitCode(batch);
}

/**
 * `jobs --watch`: holds the feed of the --batch, the --tag, or else the user's own jobs, with the typed
 * client (which resumes it across reconnects), and shows it until Ctrl-C or SIGTERM (exit 0). With --batch
 * it ends when the batch is done, exiting as `batch --watch` does.
 */
async function watchFeed(
  urls: string[],
  token: string,
  options: { tag?: string[]; batch?: string; status?: string; type?: string; limit?: string; json?: boolean },
): Promise<number> {
  const tag = options.tag?.[0];
  if (tag !== undefined && options.batch !== undefined)
    throw new CliError('USAGE', 'jobs --watch follows one feed: --tag or --batch, not both');
  if (options.limit !== undefined || options.json)
    throw new CliError('USAGE', 'jobs --watch takes no --limit or --json');
  if (options.status !== undefined && !JobStatusSchema.safeParse(options.status).success)
    throw new CliError('USAGE', `--status must be one of ${JobStatusSchema.options.join(', ')}`);
  const shape: Feed =
    options.batch !== undefined ? { batch: options.batch } : tag !== undefined ? { tag } : { owner: 'me' };
  const view = new FeedView(process.stdout, { status: options.status, type: options.type });
  const client = connect({ urls, token });
  const feed = client.feed(shape);
  const stop = (): void => feed.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  feed.onReset(() => view.reset());
  // On a terminal the (empty) table shows at once, not only when the first job does.
  view.show([], feed.jobs);
  try {
    for await (const changed of feed) {
      view.show(changed, feed.jobs, feed.batch);
      if (feed.batch?.done) {
        // The batch (the feed's newest state) can be done while changes that came with it still wait in the
        // iteration: show every job as it ends before exiting (a line only where it reads differently).
        view.show([...feed.jobs.values()], feed.jobs, feed.batch);
        break;
      }
    }
  } finally {
    client.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return feed.batch?.done ? batchExitCode(feed.batch) : ExitCode.COMPLETED;
}

/** A finished batch exits as the worst of its jobs did: failed, then cancelled, then completed. */
function batchExitCode(batch: BatchSnapshot): number {
  if (batch.counts.failed > 0) return ExitCode.FAILED;
  return batch.counts.cancelled > 0 ? ExitCode.CANCELLED : ExitCode.COMPLETED;
}

/** `--url`: one base URL or several, comma-separated. */
function gatewayUrls(list: string): string[] {
  const urls = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const url = URL.canParse(entry) ? new URL(entry) : undefined;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        throw new CliError('USAGE', `"${entry}" is not an http(s) URL`);
      return url.origin;
    });
  if (urls.length === 0) throw new CliError('USAGE', '--url needs at least one URL');
  return [...new Set(urls)];
}

function parseJson(text: string, option: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError('USAGE', `${option} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new CliError('USAGE', `${option} must be a whole number`);
  return Number(text);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError || error instanceof JobcastError) {
      // The message may come from a gateway, so it is text from elsewhere too.
      process.stderr.write(`jobcast: ${plainText(error.code)}: ${plainText(error.message)}\n`);
      if (error.code === 'USAGE') process.stderr.write(`\n${USAGE}\n`);
    } else {
      process.stderr.write(
        `jobcast: INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exitCode = ExitCode.ERROR;
  },
);
