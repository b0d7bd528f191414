import { connect, type JobcastClient } from '@jobcast/client';
import type { DisconnectNotice, JobEvent } from '@jobcast/contracts';
import { createWorker, defineJobType, sleep as wait, z, type JobcastWorker } from '@jobcast/worker';
import { SignJWT } from 'jose';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTokens } from '../../apps/worker/src/job-types/demo-text.job';
import { SLOW_CONSUMER_ENV, TEST_JWT_SECRET, signToken, useE2eStack } from '../support/e2e-stack';
import { eventually, sleep } from '../support/eventually';
import { request, submitJob } from '../support/http-api';
import { subscribeRaw } from '../support/raw-socket';
import { pause, resume } from '../support/stalled-reader';
import { ResumingWatcher } from '../support/watch-transports';
import { expectCompleteSequence } from '../support/watchers';

const root = join(__dirname, '..', '..');
const OUTPUT_MAX_BYTES = 64 * 1024;

/** Text with characters of 1, 2, 3 and 4 bytes in UTF-8 (the 4-byte ones a surrogate pair in UTF-16). */
const MIXED = 'a é 日本語 🚀 中文 👩‍💻 z ✨ 한';

/** What demo.text writes for a seed and length. */
const demoText = (seed: number, words: number): string => [...generatedTokens(seed, words)].join('');

/** Every output event's text, per key, in the order the events came. */
function textsOf(events: readonly JobEvent[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const event of events) {
    if (event.type !== 'output') continue;
    const before = texts.get(event.data.key) ?? '';
    // An event's offset is where the stream stood: anything else would be a lost or repeated piece.
    expect(event.data.offset).toBe(before.length);
    texts.set(event.data.key, before + event.data.text);
  }
  return texts;
}

/** Byte for byte: the same UTF-8, not merely strings that compare equal. */
function expectSameBytes(actual: string | undefined, expected: string): void {
  expect(Buffer.from(actual ?? '', 'utf8').equals(Buffer.from(expected, 'utf8'))).toBe(true);
  expect(actual).toBe(expected);
}

describe('output streams', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1, env: { OUTPUT_MAX_BYTES: String(OUTPUT_MAX_BYTES) } });
  let token: string;
  /** A worker in this process, for handlers that write what a test needs; the stack's runs the shipped types. */
  let worker: JobcastWorker;

  const splitJob = defineJobType({
    name: 'test.output-split',
    description: 'Writes MIXED to one stream per position, split there into two writes a flush apart.',
    payload: z.strictObject({}),
    async run({ stream, signal }) {
      for (let at = 0; at <= MIXED.length; at += 1) stream(`at-${at}`).write(MIXED.slice(0, at));
      await wait(40, signal);
      for (let at = 0; at <= MIXED.length; at += 1) stream(`at-${at}`).write(MIXED.slice(at));
      // And one write per UTF-16 code unit, halves of pairs included, each flushed on its own.
      for (const unit of MIXED.split('')) {
        stream('units').write(unit);
        await wait(2, signal);
      }
      return null;
    },
  });

  const boundJob = defineJobType({
    name: 'test.output-bound',
    description: 'Writes up to OUTPUT_MAX_BYTES, then one byte more, and answers what that write threw.',
    payload: z.strictObject({}),
    run({ stream }) {
      const block = 'x'.repeat(1000);
      for (let written = 0; written + 1000 <= OUTPUT_MAX_BYTES; written += 1000) stream('a').write(block);
      stream('b').write('y'.repeat(OUTPUT_MAX_BYTES % 1000));
      let refused: string | undefined;
      try {
        stream('a').write('!');
      } catch (error) {
        refused = (error as { code?: string }).code;
      }
      return Promise.resolve({ refused });
    },
  });

  function client(urls: string[], transport: 'socket.io' | 'websocket'): JobcastClient {
    return stack.closeAtStop(
      connect({ urls, token, transport, transports: ['websocket'], reconnectDelayMs: 100, maxReconnectDelayMs: 500 }),
    );
  }

  /** An SSE reader that resumes with Last-Event-ID on the next gateway whenever its stream breaks, as EventSource does. */
  function sseWatcher(urls: string[], jobId: string): ResumingWatcher {
    return stack.closeAtStop(new ResumingWatcher('sse', urls, token, jobId));
  }

  beforeAll(async () => {
    token = await signToken('alice');
    worker = await createWorker({
      redisUrl: stack.stack.redisUrl,
      jobTypes: [splitJob, boundJob],
      outputMaxBytes: OUTPUT_MAX_BYTES,
      handleSignals: false,
      logger: pino({ level: 'silent' }),
    });
    // Registered now, but each gateway reads the registry on its own schedule: wait until both accept them.
    for (const gateway of [0, 1]) {
      await eventually(`gateway ${gateway} knows the test's job types`, async () => {
        const { body } = await request<{ jobTypes: Array<{ name: string }> }>(`${stack.url(gateway)}/job-types`, {
          token,
        });
        const names = body.jobTypes.map((jobType) => jobType.name);
        return names.includes(splitJob.name) && names.includes(boundJob.name);
      });
    }
  });

  afterAll(() => worker.close());

  it('is what the handler wrote, byte for byte, with multi-byte text split at every position, on every transport', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'test.output-split' });
    const watches = (['socket.io', 'websocket'] as const).map((transport) =>
      client([stack.url(0), stack.url(1)], transport).watch(job.id),
    );
    const overSse = sseWatcher([stack.url(1)], job.id).done;
    await Promise.all(watches.map((watch) => watch.done));
    const sseTexts = textsOf(await overSse);
    for (let at = 0; at <= MIXED.length; at += 1) {
      for (const watch of watches) expectSameBytes(watch.output(`at-${at}`).text, MIXED);
      expectSameBytes(sseTexts.get(`at-${at}`), MIXED);
    }
    for (const watch of watches) expectSameBytes(watch.output('units').text, MIXED);
    expectSameBytes(sseTexts.get('units'), MIXED);
  });

  it('survives a gateway killed with SIGKILL and Redis restarted mid-stream, on all three transports', async () => {
    const words = 500;
    const expected = demoText(7, words);
    const job = await submitJob(stack.url(1), token, {
      type: 'demo.text',
      payload: { words, wordsPerSecond: 100, seed: 7 },
    });
    const urls = [stack.url(0), stack.url(1)];
    const watches = (['socket.io', 'websocket'] as const).map((transport) => client(urls, transport).watch(job.id));
    const chunks: string[] = [];
    watches[0]?.output('text').onChunk((chunk) => chunks.push(chunk));
    // A restart can lose Redis's last second of writes (AOF everysec): the watch is then reset, its text rebuilt
    // from the log, and a listener of chunks goes on from that text, as the client's contract says.
    watches[0]?.output('text').onReset((text) => chunks.splice(0, chunks.length, text));
    const overSse = sseWatcher(urls, job.id).done;
    await eventually('some output', () => (watches[0]?.output('text').text.length ?? 0) > 200);
    stack.stack.gateways[0]?.kill('SIGKILL');
    await eventually('more output', () => (watches[0]?.output('text').text.length ?? 0) > 800);
    await stack.stack.redis?.stop();
    await sleep(1000);
    await stack.stack.redis?.start();
    await stack.stack.gateways[0]?.start();
    await Promise.all(watches.map((watch) => watch.done));
    for (const watch of watches) {
      expect((await watch.done).type).toBe('completed');
      expectSameBytes(watch.output('text').text, expected);
    }
    expectSameBytes(chunks.join(''), expected);
    const sseEvents = await overSse;
    expectCompleteSequence(sseEvents);
    expectSameBytes(textsOf(sseEvents).get('text'), expected);
  });

  it('gives a late joiner the whole text so far, then the rest', async () => {
    const words = 200;
    const job = await submitJob(stack.url(0), token, {
      type: 'demo.text',
      payload: { words, wordsPerSecond: 200, seed: 3 },
    });
    const early = client([stack.url(0)], 'socket.io').watch(job.id);
    await eventually('half the text', () => early.output('text').text.length > 400);
    const late = client([stack.url(1)], 'websocket').watch(job.id);
    const pieces: string[] = [];
    const reading = (async () => {
      for await (const piece of late.output('text')) pieces.push(piece);
    })();
    await eventually('the late joiner to catch up', () => late.output('text').text.length > 400);
    await reading;
    expectSameBytes(pieces.join(''), demoText(3, words));
    // After the end too.
    const after = client([stack.url(0)], 'websocket').watch(job.id);
    await after.done;
    expectSameBytes(after.output('text').text, demoText(3, words));
  });

  it('refuses a write past OUTPUT_MAX_BYTES: the handler sees OUTPUT_TOO_LARGE, the watcher every byte before it', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'test.output-bound' });
    const watch = client([stack.url(0)], 'socket.io').watch(job.id);
    const end = await watch.done;
    expect(end).toMatchObject({ type: 'completed', data: { result: { refused: 'OUTPUT_TOO_LARGE' } } });
    expect(watch.output('a').text.length + watch.output('b').text.length).toBe(OUTPUT_MAX_BYTES);
  });

  it("holds an external job to the same bound and offsets: 413 past it, 409 at a wrong offset, and one key's rules", async () => {
    const service = await new SignJWT({ scope: 'jobs:submit jobs:read jobs:publish' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('report-service')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const created = await request<{ job: { id: string } }>(`${stack.url(0)}/jobs`, {
      token: service,
      body: { type: 'report.build', external: true },
    });
    expect(created.status).toBe(202);
    const jobId = created.body.job.id;
    const append = (events: unknown[]) =>
      request<{ lastSeq?: number; error?: { code: string; details?: unknown } }>(
        `${stack.url(0)}/jobs/${jobId}/events`,
        {
          token: service,
          body: { events },
        },
      );
    const output = (key: string, offset: number, text: string) => ({ type: 'output', data: { key, offset, text } });
    // 🚀 is two UTF-16 code units: the next offset counts them.
    expect((await append([output('log', 0, 'build 🚀'), output('log', 8, ' ok\n')])).status).toBe(200);
    const mismatch = await append([output('log', 11, 'late')]);
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error).toMatchObject({
      code: 'OUTPUT_OFFSET_MISMATCH',
      details: { key: 'log', expected: 12 },
    });
    expect((await append([output('bad key', 0, 'x')])).status).toBe(400);
    // At most OUTPUT_MAX_STREAMS (64) streams: 'log' and 63 more, then no other.
    const keys = Array.from({ length: 63 }, (_, i) => `k${i}`);
    expect((await append(keys.map((key) => output(key, 0, '.')))).status).toBe(200);
    const oneTooMany = await append([output('k63', 0, '.')]);
    expect(oneTooMany.status).toBe(413);
    expect(oneTooMany.body.error?.code).toBe('OUTPUT_TOO_LARGE');
    const block = 'x'.repeat(16_000);
    let offset = 12;
    for (let sent = 0; sent + block.length * 2 <= OUTPUT_MAX_BYTES - 100; sent += block.length * 2) {
      expect((await append([output('log', offset, block), output('log', offset + block.length, block)])).status).toBe(
        200,
      );
      offset += block.length * 2;
    }
    const tooLarge = await append([output('log', offset, 'y'.repeat(10)), output('log', offset + 10, block)]);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error?.code).toBe('OUTPUT_TOO_LARGE');
    // All or none: the refused batch left nothing behind, so its first event still fits at the same offset.
    expect((await append([output('log', offset, 'y'.repeat(10))])).status).toBe(200);
    expect((await append([{ type: 'completed', data: { result: null } }])).status).toBe(200);
    const watch = stack
      .closeAtStop(connect({ urls: [stack.url(1)], token: service, transport: 'websocket' }))
      .watch(jobId);
    await watch.done;
    expect(watch.output('log').text.startsWith('build 🚀 ok\nxxx')).toBe(true);
    expect(watch.output('log').text.length).toBe(offset + 10);
  });

  it('keeps what a piped stream gave before it threw, then fails the job with its error', async () => {
    const job = await submitJob(stack.url(0), token, {
      type: 'demo.text',
      payload: { words: 100, wordsPerSecond: 500, seed: 5, failAfter: 40 },
    });
    const watch = client([stack.url(1)], 'websocket').watch(job.id);
    const end = await watch.done;
    expect(end).toMatchObject({ type: 'failed', data: { error: { message: 'demo.text failed after 40 words' } } });
    expectSameBytes(watch.output('text').text, demoText(5, 40));
  });

  it('reaches the Python example over the plain WebSocket, byte for byte', async () => {
    const python = spawn(
      '/usr/bin/python3',
      [
        join(root, 'examples/watch-with-python.py'),
        'demo.text',
        JSON.stringify({ words: 150, wordsPerSecond: 300, seed: 9 }),
      ],
      { env: { ...process.env, JOBCAST_URLS: `${stack.url(0)},${stack.url(1)}` } },
    );
    let stdout = '';
    let stderr = '';
    python.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    python.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => python.once('exit', resolve)), stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    const text = lines
      .filter((line) => line.split(' ')[1] === 'output')
      .map((line) => (JSON.parse(line.split(' ').slice(2).join(' ')) as { text: string }).text)
      .join('');
    expectSameBytes(text, demoText(9, 150));
    expect(lines.at(-1)?.split(' ').slice(0, 2)).toEqual([expect.any(String), 'completed']);
  });
});

describe('output streams and a reader that stops reading', () => {
  const stack = useE2eStack({ gateways: 1, workers: 1, env: SLOW_CONSUMER_ENV });

  it('never conflates output: the reader is dropped and resumes, and its text is whole', async () => {
    const token = await signToken('alice');
    const words = 6000;
    const job = await submitJob(stack.url(0), token, {
      type: 'demo.text',
      payload: { words, wordsPerSecond: 1000, seed: 11 },
    });
    const stuck = await subscribeRaw(stack.url(0), token, job.id, { transports: ['polling'] });
    stack.closeAtStop(stuck.socket);
    const notices: DisconnectNotice[] = [];
    stuck.socket.on('gateway:disconnect', (notice) => notices.push(notice));
    const disconnected = new Promise<void>((resolve) => stuck.socket.once('disconnect', () => resolve()));
    await eventually('some output', () => stuck.events.some((event) => event.type === 'output'));
    // A short stall: progress piles up and is conflated, output (40 events a second) stays under the bound.
    await pause(stuck.socket);
    await sleep(1000);
    resume(stuck.socket);
    await eventually('a conflated progress event', () => stuck.events.some((event) => event.fromSeq !== undefined));
    // A long one: output alone passes SOCKET_MAX_PENDING_EVENTS in 2.5 s, and is not conflated but dropped.
    await pause(stuck.socket);
    await sleep(4000);
    resume(stuck.socket);
    await disconnected;
    expect(notices.map((notice) => notice.reason)).toEqual(['SLOW_CONSUMER']);
    const received = [...stuck.events];
    const rest = stack.closeAtStop(connect({ urls: [stack.url(0)], token })).watch(job.id, {
      afterSeq: received.at(-1)?.seq ?? 0,
    });
    const tail: JobEvent[] = [];
    rest.onEvent((event) => tail.push(event));
    await rest.done;
    const all = [...received, ...tail];
    expectCompleteSequence(all);
    expect(all.filter((event) => event.fromSeq !== undefined).every((event) => event.type === 'progress')).toBe(true);
    expectSameBytes(textsOf(all).get('text'), demoText(11, words));
  });
});
