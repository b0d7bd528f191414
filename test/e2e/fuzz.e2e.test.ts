import { Agent } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useE2eStack } from '../support/e2e-stack';
import { sleep } from '../support/eventually';
import { Problems, STACK_TRACE, Tally, pool, preview } from '../support/fuzz-findings';
import { HttpCaseMaker } from '../support/fuzz-http-cases';
import { ANSWER_TIMEOUT_MS, checkHttp, httpReproducer, sendHttp } from '../support/fuzz-http-checks';
import { Rng, fuzzRuns, type FuzzRun } from '../support/fuzz-inputs';
import {
  SocketCaseMaker,
  handshakeCase,
  plainConnectionPlan,
  rawConnectionPlan,
  type RawPacket,
  type WsFrame,
} from '../support/fuzz-socket-cases';
import {
  ackOracle,
  ackProblem,
  checkPlainReplies,
  checkRawAcks,
  rawAcksIn,
  socketReproducer,
} from '../support/fuzz-socket-checks';
import { keepRunning, seedWorld, type FuzzWorld } from '../support/fuzz-world';
import { request, submitJob } from '../support/http-api';
import { attemptTypes, eventTypes } from '../support/watchers';
import { isAlive, rssBytes } from '../support/processes';
import { scrapeSample } from '../support/prometheus';
import { RawEngineSocket } from '../support/raw-engine-socket';
import { EventCollector, connected, emitWithAck, openSocket, range, seqs, type RawSocket } from '../support/raw-socket';

/**
 * Fuzzing a running gateway: thousands of random and malformed HTTP requests, Socket.IO emits, raw
 * Engine.IO frames and plain WebSocket frames. Every answer must be a coded error or a valid success, nothing may leak a stack,
 * the process must stay up with bounded memory, and a normal client must still work afterwards.
 *
 * Inputs come from one seeded PRNG per barrage, generated before they are sent, so a seed names a run's inputs
 * (concurrency may still reorder them). CI runs the barrages for the fixed seeds of `FIXED_SEEDS`, then for one
 * fresh seed; each seed's tests are named with the command that replays them (`FUZZ_SEED=<seed>`, with
 * `FUZZ_CASES=<n>` when it ran fewer cases). `FUZZ_SEEDS=1-300` sweeps many seeds instead (HTTP and
 * Socket.IO barrages, `FUZZ_CASES` cases each, 300 by default), one stack for all of them: for oracle work,
 * never in CI. `FUZZ_SCALE=<n>` multiplies the full barrage.
 */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const RUNS = fuzzRuns('test/e2e/fuzz.e2e.test.ts', { http: 2500 * SCALE, socket: 3000 * SCALE });
/** A sweep (`FUZZ_SEEDS`) runs the HTTP and Socket.IO barrages only: the cases an oracle judges most. */
const SWEEP = RUNS.some((run) => run.why === 'sweep');
const replayOf = (run: FuzzRun): string => `seed ${run.seed} (replay: ${run.replay})`;
/** What a failure of the whole file names: every seed it ran. */
const RUN_SEEDS =
  RUNS.length > 5 ? `seeds ${RUNS[0]?.seed}…${RUNS.at(-1)?.seed}` : `seeds ${RUNS.map((run) => run.seed).join(', ')}`;

const HTTP_CONCURRENCY = 20;
const SOCKETS = 4;
const SOCKET_CONCURRENCY = 8;
const HANDSHAKES = 60;
const RAW_CONNECTIONS = 48 * SCALE;
const RAW_CONCURRENCY = 4;
const PLAIN_CONNECTIONS = 24 * SCALE;
const ACK_TIMEOUT_MS = 5_000;
/**
 * RSS growth allowed over the whole barrage. Measured on 2 cores: the gateway holds ~130-137 MB after
 * warm-up and grows by 64-68 MB over a run (V8's heap high-water mark after parsing 40-60 KB deeply nested
 * bodies and 16 KiB frames), and by 89 MB with FUZZ_SCALE=4: it levels off instead of following the input
 * volume. 150 MB is over twice a healthy run's growth, and is what a leak proportional to the inputs, a
 * decompression bomb inflated past the body limit (10 MiB each, dozens per run) or unbounded buffering
 * of oversized frames would exceed.
 */
const RSS_GROWTH_LIMIT = 150 * 1024 * 1024;

/** `FUZZ_TRACE=<regex>` prints every HTTP case whose `kind: label` matches, with its answer. */
const TRACE = process.env.FUZZ_TRACE ? new RegExp(process.env.FUZZ_TRACE) : undefined;

describe(`fuzz: random and malformed input at a running gateway (${RUN_SEEDS})`, () => {
  const stack = useE2eStack({ gateways: 1, workers: 1 });
  let world: FuzzWorld;
  let pid = 0;
  let port = 0;
  let baselineRss = 0;
  let baselineSockets = 0;
  let baselineWatches = 0;
  let baselinePlainSockets = 0;
  let bytesSent = 0;

  const say = (line: string) => process.stdout.write(`[fuzz] ${line}\n`);
  /** Jobs the fuzz submitted that are cancelled already. */
  const cancelled = new Set<string>();
  const headerOf = (principal: string): string | undefined =>
    Object.values(world.credentials).find((c) => c.principal === principal)?.header;

  beforeAll(async () => {
    port = Number(new URL(stack.url(0)).port);
    pid = stack.stack.gateways[0]?.pid ?? 0;
    world = await seedWorld(stack.url(0));
    const token = (name: string) => world.credentials[name]?.token ?? '';
    // Warm up (JIT, pools, lazily loaded modules) before taking the memory baseline.
    for (let i = 0; i < 50; i += 1) {
      await request(`${stack.url(0)}/jobs/${world.aliceJobs[0]}`, { token: token('alice') });
      await request(`${stack.url(0)}/jobs`, { token: token('alice'), rawBody: '{"type":1}' });
    }
    baselineRss = rssBytes(pid);
    baselineSockets = await scrapeSample(stack.url(0), 'jobcast_sockets_connected');
    baselineWatches = await scrapeSample(stack.url(0), 'jobcast_subscriptions');
    baselinePlainSockets = await scrapeSample(stack.url(0), 'jobcast_plain_websockets_connected');
    say(`gateway pid ${pid}, RSS ${(baselineRss / 2 ** 20).toFixed(1)} MB after warm-up`);
    for (const run of RUNS) if (run.why !== 'sweep') say(`${run.why} ${replayOf(run)}`);
  });

  async function httpBarrage(run: FuzzRun): Promise<void> {
    await keepRunning(world, stack.url(0));
    const rng = new Rng(run.seed);
    const maker = new HttpCaseMaker(rng, world);
    const cases = Array.from({ length: run.cases.http }, (_, i) => maker.make(i));
    const problems = new Problems();
    const kinds = new Tally();
    const statuses = new Tally();
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
    const started = Date.now();
    await pool(cases, HTTP_CONCURRENCY, async (c) => {
      kinds.add(c.kind);
      bytesSent += (c.body?.length ?? 0) + c.path.length;
      const outcome = await sendHttp(agent, port, c);
      statuses.add(String(outcome.status ?? 'none'));
      if (TRACE?.test(`${c.kind}: ${c.label}`)) say(httpReproducer(c, outcome));
      checkHttp(c, outcome, world, problems);
    });
    agent.destroy();
    say(
      `HTTP: ${cases.length} requests in ${Date.now() - started} ms; by kind: ${kinds.toString()}; by status: ${statuses.toString()}`,
    );

    // Jobs the fuzz got accepted are cancelled, so they hold no worker slot for what follows.
    const fuzzJobs = [...world.owners].filter(
      ([id]) =>
        !cancelled.has(id) && ![...world.aliceJobs, ...world.bobJobs, ...world.acmeJobs, world.running].includes(id),
    );
    await pool(fuzzJobs, 10, async ([id, owner]) => {
      cancelled.add(id);
      const header = headerOf(owner);
      await request(`${stack.url(0)}/jobs/${id}/cancel`, {
        method: 'POST',
        headers: header ? { authorization: header } : {},
      });
    });
    say(`HTTP: cancelled ${fuzzJobs.length} jobs the fuzz submitted`);
    expect(problems.report(), replayOf(run)).toEqual([]);
  }

  async function socketBarrage(run: FuzzRun): Promise<void> {
    const rng = new Rng(run.seed ^ 0x50c4e7);
    const maker = new SocketCaseMaker(rng, world);
    const cases = Array.from({ length: run.cases.socket }, (_, i) => maker.make(i));
    const problems = new Problems();
    const kinds = new Tally();
    const answers = new Tally();
    const token = world.credentials.alice?.token;
    let largestAck = 0;

    // Handshakes with junk credentials: refused with UNAUTHORIZED, never crashing the namespace.
    const handshakes = Array.from({ length: HANDSHAKES }, (_, i) => handshakeCase(rng, world, i));
    await pool(handshakes, 4, async (h) => {
      const socket = openSocket(stack.url(0), h.token);
      const outcome = await Promise.race([
        connected(socket).then(
          () => 'connected',
          (error: Error) => `refused: ${error.message}`,
        ),
        sleep(ACK_TIMEOUT_MS).then(() => 'no answer'),
      ]);
      socket.disconnect();
      kinds.add('handshake');
      const expected = h.principal !== null ? 'connected' : 'refused: UNAUTHORIZED';
      if (outcome !== expected) {
        problems.add(
          `handshake: ${outcome} where ${expected} was due`,
          `#${h.index} [handshake: ${h.label}] auth.token=${preview(JSON.stringify(h.token) ?? 'undefined')}`,
        );
      }
    });

    const live: RawSocket[] = [];
    for (let i = 0; i < SOCKETS; i += 1) {
      const socket = stack.closeAtStop(openSocket(stack.url(0), token));
      await connected(socket);
      live.push(socket);
    }
    const recent = live.map(() => [] as number[]);
    const replacing: Array<Promise<RawSocket> | undefined> = [];
    /** A dropped socket is a problem; the fuzz goes on over a new one. */
    const usable = (s: number): Promise<RawSocket> => {
      const socket = live[s] as RawSocket;
      if (socket.connected) return Promise.resolve(socket);
      replacing[s] ??= (async () => {
        problems.add(
          'socket: dropped by the gateway',
          `socket ${s} after cases ${JSON.stringify(recent[s]?.slice(-10))}`,
        );
        const fresh = stack.closeAtStop(openSocket(stack.url(0), token));
        await connected(fresh);
        live[s] = fresh;
        replacing[s] = undefined;
        return fresh;
      })();
      return replacing[s];
    };
    await Promise.all(
      live.map(async (_, s) => {
        const mine = cases.filter((c) => c.index % SOCKETS === s);
        await pool(mine, SOCKET_CONCURRENCY, async (c) => {
          const socket = await usable(s);
          recent[s]?.push(c.index);
          kinds.add(c.kind);
          bytesSent += JSON.stringify(c.args)?.length ?? 0;
          const emitter = socket as unknown as { emit(event: string, ...args: unknown[]): void };
          if (!c.ack) {
            try {
              emitter.emit(c.event, ...c.args);
            } catch {
              answers.add('reserved (not sent)');
            }
            return;
          }
          const verdict = ackOracle(world, c.event, c.args);
          let ack: unknown;
          try {
            ack = await Promise.race([
              emitWithAck<unknown>(socket, c.event, ...c.args),
              sleep(ACK_TIMEOUT_MS).then(() => {
                throw new Error('timeout');
              }),
            ]);
          } catch (error) {
            answers.add('no ack');
            problems.add(`${c.event}: no ack within ${ACK_TIMEOUT_MS} ms`, socketReproducer(c, String(error)));
            return;
          }
          const text = JSON.stringify(ack) ?? '';
          largestAck = Math.max(largestAck, text.length);
          const answer = ack as { ok?: boolean; error?: { code?: string } };
          answers.add(`${c.event}:${answer.ok ? 'ok' : (answer.error?.code ?? '?')}`);
          const problem = ackProblem(c.event, verdict, ack);
          if (problem) problems.add(problem, socketReproducer(c, text));
          if (STACK_TRACE.test(text) && !STACK_TRACE.test(JSON.stringify(c.args) ?? '')) {
            problems.add(`${c.event}: stack trace or source path in an ack`, socketReproducer(c, text));
          }
        });
      }),
    );
    // Every socket is still there and still answers.
    for (const [s, socket] of live.entries()) {
      if (!socket.connected) {
        problems.add(
          'socket: dropped by the gateway',
          `socket ${s} after cases ${JSON.stringify(recent[s]?.slice(-10))}`,
        );
        continue;
      }
      const ack = await emitWithAck(socket, 'subscribe', { jobId: world.aliceJobs[0] });
      if (!ack.ok) problems.add('socket: no longer serves a valid subscribe', `socket ${s}: ${JSON.stringify(ack)}`);
      socket.disconnect();
    }
    say(
      `Socket.IO: ${kinds.total} inputs; by kind: ${kinds.toString()}; answers: ${answers.toString()}; largest ack ${largestAck} B`,
    );
    expect(problems.report(), replayOf(run)).toEqual([]);
  }

  async function rawBarrage(run: FuzzRun): Promise<void> {
    const rng = new Rng(run.seed ^ 0x7a11);
    const maker = new SocketCaseMaker(rng, world);
    const problems = new Problems();
    const kinds = new Tally();
    const endings = new Tally();
    const token = world.credentials.alice?.token;
    const plans = Array.from({ length: RAW_CONNECTIONS }, (_, i) => rawConnectionPlan(rng, maker, i));
    await pool(plans, RAW_CONCURRENCY, async (plan) => {
      const conn = await RawEngineSocket.open(port);
      let sent = '';
      try {
        if (plan.connect) {
          const answer = await conn.connectNamespace({ token });
          if (!answer?.startsWith('40/jobs,')) {
            problems.add(
              'raw: namespace connect with a valid token refused',
              `connection ${plan.index}: ${preview(answer)}`,
            );
            return;
          }
        }
        if (plan.structured) {
          const expected = new Map<string, RawPacket>();
          for (const packet of plan.packets) {
            kinds.add(`raw ${packet.c.kind}`);
            const text = JSON.stringify([packet.c.event, ...packet.c.args]);
            bytesSent += text.length;
            sent += text;
            conn.send(`42/jobs,${packet.id ?? ''}${text}`);
            if (packet.id !== undefined) {
              const canonical = String(Number(packet.id));
              if (!expected.has(canonical)) expected.set(canonical, packet);
            }
          }
          let acks = new Map<string, unknown>();
          const collect = () => {
            acks = rawAcksIn(conn.frames);
            return acks.size >= expected.size;
          };
          await conn.waitFor(collect, ACK_TIMEOUT_MS);
          collect();
          if (conn.closeCode !== undefined) {
            problems.add(
              'raw: well-formed packets got the connection closed',
              `connection ${plan.index} closed ${conn.closeCode} after ${plan.packets.map((p) => `#${p.c.index}`).join(' ')}`,
            );
          }
          checkRawAcks(expected, acks, world, problems);
          endings.add(conn.closeCode === undefined ? 'structured: open' : `structured: closed ${conn.closeCode}`);
        } else {
          for (const { label, frame } of plan.frames) {
            kinds.add(`raw garbage: ${label}`);
            bytesSent += frame.length;
            sent += typeof frame === 'string' ? frame : frame.toString('latin1');
            conn.send(frame);
            if (!conn.isOpen) break;
          }
          await conn.waitFor(() => conn.closeCode !== undefined, 300);
          endings.add(conn.closeCode === undefined ? 'garbage: left open' : `garbage: closed ${conn.closeCode}`);
        }
        for (const frame of conn.frames) {
          // Answers may echo what was sent (unknown keys, ids): only what the gateway added counts.
          if (STACK_TRACE.test(frame) && !STACK_TRACE.test(sent))
            problems.add(
              'raw: stack trace or source path in a frame',
              `connection ${plan.index}: ${preview(frame, 300)}`,
            );
        }
      } finally {
        conn.close();
      }
    });
    say(
      `raw WebSocket: ${RAW_CONNECTIONS} connections, ${kinds.total} frames; by kind: ${kinds.toString()}; endings: ${endings.toString()}`,
    );
    expect(problems.report(), replayOf(run)).toEqual([]);
  }

  async function plainBarrage(run: FuzzRun): Promise<void> {
    const rng = new Rng(run.seed ^ 0x3b5);
    const problems = new Problems();
    const kinds = new Tally();
    const token = world.credentials.alice?.token ?? '';
    const url = `ws://127.0.0.1:${port}/ws`;
    const plans = Array.from({ length: PLAIN_CONNECTIONS }, (_, index) => plainConnectionPlan(rng, world, index));
    await pool(plans, 4, async (plan) => {
      const socket = new WebSocket(url, ['jobcast.v1']);
      const answers: Array<Record<string, unknown>> = [];
      let closeCode: number | undefined;
      socket.on('message', (data) => answers.push(JSON.parse((data as Buffer).toString()) as Record<string, unknown>));
      const closed = new Promise<void>((resolve) =>
        socket.once('close', (code) => {
          closeCode = code;
          resolve();
        }),
      );
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const send = (f: WsFrame): void => {
        kinds.add(`ws ${f.kind}`);
        if (f.binary) socket.send(f.binary, { binary: true });
        else if (f.pieces) {
          socket.send(f.pieces[0] as string, { fin: false });
          socket.send(f.pieces[1] as string, { fin: true });
        } else socket.send(f.text as string);
        bytesSent += f.text?.length ?? f.binary?.length ?? 0;
      };
      const answered = async (count: number): Promise<boolean> => {
        const deadline = Date.now() + ANSWER_TIMEOUT_MS;
        while (answers.filter((answer) => answer.type !== 'events').length < count) {
          if (Date.now() > deadline || closeCode !== undefined) return false;
          await sleep(20);
        }
        return true;
      };
      try {
        for (const f of plan.beforeAuth) send(f);
        socket.send(JSON.stringify({ type: 'auth', token }));
        for (const f of plan.afterAuth) send(f);
        const expected = plan.beforeAuth.length + 1 + plan.afterAuth.length;
        if (!(await answered(expected))) {
          problems.add(
            'ws: a frame went unanswered or the socket closed',
            `connection ${plan.index}: close ${closeCode}, ${answers.length} answers to ${expected} frames: ${preview(JSON.stringify(answers.slice(-3)))}`,
          );
          return;
        }
        checkPlainReplies(plan, answers, problems);
        if (plan.oversized) {
          socket.send(JSON.stringify({ type: 'ping', padding: 'x'.repeat(20_000) }));
          await Promise.race([closed, sleep(ANSWER_TIMEOUT_MS)]);
          if (closeCode !== 1009)
            problems.add('ws: an oversized message did not close with 1009', `connection ${plan.index}: ${closeCode}`);
        }
      } finally {
        socket.terminate();
      }
    });
    say(`plain WebSocket frames: ${kinds.total} (${kinds.toString()})`);
    expect(problems.report(), replayOf(run)).toEqual([]);
  }

  for (const run of RUNS) {
    describe(`${run.why} seed ${run.seed} (replay: ${run.replay})`, () => {
      it(`answers ${run.cases.http} random HTTP requests with a coded error or a valid success`, () =>
        httpBarrage(run));
      it(`answers ${run.cases.socket} random subscribes and unsubscribes with a coded ack, and survives unknown events`, () =>
        socketBarrage(run));
      if (SWEEP) return;
      it('survives raw garbage Engine.IO and Socket.IO frames, and answers well-formed packets by hand', () =>
        rawBarrage(run));
      it('answers every random plain WebSocket frame with one coded answer, and keeps the socket open', () =>
        plainBarrage(run));
    });
  }

  it('is still the same process afterwards, with bounded memory and no leaked watches, and serves a normal client', async () => {
    expect((await request(`${stack.url(0)}/healthz`)).status).toBe(200);
    expect(isAlive(pid), `gateway pid ${pid} is gone; ${RUN_SEEDS}`).toBe(true);
    expect(stack.stack.gateways[0]?.pid, `the gateway was restarted; ${RUN_SEEDS}`).toBe(pid);
    const rss = rssBytes(pid);
    say(
      `RSS ${(baselineRss / 2 ** 20).toFixed(1)} → ${(rss / 2 ** 20).toFixed(1)} MB ` +
        `(+${((rss - baselineRss) / 2 ** 20).toFixed(1)} MB) after sending ${(bytesSent / 2 ** 20).toFixed(1)} MB`,
    );
    expect(rss - baselineRss, `RSS grew from ${baselineRss} to ${rss} bytes; ${RUN_SEEDS}`).toBeLessThan(
      RSS_GROWTH_LIMIT,
    );

    // Every socket and stream the fuzz opened is closed: the gateway's gauges must come back down.
    const alice = world.credentials.alice?.token ?? '';
    await request(`${stack.url(0)}/jobs/${world.running}/cancel`, { method: 'POST', token: alice });
    let openSockets = Number.NaN;
    let openPlainSockets = Number.NaN;
    let openWatches = Number.NaN;
    for (let i = 0; i < 50; i += 1) {
      openSockets = await scrapeSample(stack.url(0), 'jobcast_sockets_connected');
      openPlainSockets = await scrapeSample(stack.url(0), 'jobcast_plain_websockets_connected');
      openWatches = await scrapeSample(stack.url(0), 'jobcast_subscriptions');
      if (
        openSockets === baselineSockets &&
        openPlainSockets === baselinePlainSockets &&
        openWatches === baselineWatches
      )
        break;
      await sleep(100);
    }
    expect({ openSockets, openPlainSockets, openWatches }, `gauges after the fuzz; ${RUN_SEEDS}`).toEqual({
      openSockets: baselineSockets,
      openPlainSockets: baselinePlainSockets,
      openWatches: baselineWatches,
    });

    const job = await submitJob(stack.url(0), alice, { type: 'demo.steps', payload: { steps: 5, intervalMs: 20 } });
    const socket = stack.closeAtStop(openSocket(stack.url(0), alice));
    await connected(socket);
    const watcher = new EventCollector(socket, job.id);
    expect((await watcher.subscribe()).ok).toBe(true);
    const events = await watcher.waitFor(undefined, 30_000);
    expect(eventTypes(events)).toEqual(attemptTypes({ progress: 5, end: 'completed' }));
    expect(seqs(events)).toEqual(range(1, 8));
  });
});
