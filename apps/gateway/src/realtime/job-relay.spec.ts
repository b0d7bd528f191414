import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import type { JobEventLog, JobRecord } from '@jobcast/job-log';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followsOn, JobRelay, type RelaySink } from './job-relay';
import type { LiveEventListener, LiveJobEvents } from './live-job-events';

const JOB = 'job-1';
const PAGE = 4;

const at = (seq: number): JobEvent => ({ jobId: JOB, seq, at: seq, type: 'progress', data: { percent: seq } });
const completedAt = (seq: number): JobEvent => ({
  jobId: JOB,
  seq,
  at: seq,
  type: 'completed',
  data: { result: null },
});

/**
 * The job's log as the relay reads it: a page of events after a seq, with the snapshot they agree with. A test
 * can log events while a read is in flight (`whileReading`) and make reads fail (`failReads`).
 */
class FakeLog {
  events: JobEvent[] = [];
  exists = true;
  readable = true;
  /** Sequence numbers the log no longer holds (trimmed). */
  trimmedThrough = 0;
  reads: number[] = [];
  failReads = 0;
  private whileReadingHooks: Array<() => void> = [];

  log(...events: JobEvent[]): JobEvent[] {
    this.events.push(...events);
    return events;
  }

  /** Runs `hook` during the next read, before it is answered: what Redis logs while the read is on its way. */
  whileReading(hook: () => void): void {
    this.whileReadingHooks.push(hook);
  }

  readonly eventLog = {
    readSince: async (jobId: string, afterSeq: number, limit: number) => {
      expect(jobId).toBe(JOB);
      this.reads.push(afterSeq);
      await Promise.resolve();
      this.whileReadingHooks.shift()?.();
      if (this.failReads > 0) {
        this.failReads -= 1;
        throw new Error('Redis is away');
      }
      if (!this.exists) return null;
      const kept = this.events.filter((event) => event.seq > this.trimmedThrough);
      return { record: this.record(), events: kept.filter((event) => event.seq > afterSeq).slice(0, limit) };
    },
  } as unknown as JobEventLog;

  record(): JobRecord {
    const last = this.events.at(-1);
    const status = last?.type === 'completed' ? 'completed' : 'active';
    const snapshot: JobSnapshot = {
      id: JOB,
      type: 'demo.steps',
      status,
      percent: 0,
      attempt: 1,
      lastSeq: last?.seq ?? 0,
      createdAt: 0,
      updatedAt: 0,
    };
    return { snapshot, owner: this.readable ? 'user:alice' : 'user:bob', cancelRequested: false };
  }
}

/** The gateway's live feed, reduced to what a relay uses: one listener per job. */
class FakeLive {
  listeners = new Set<LiveEventListener>();
  publish(events: readonly JobEvent[]): void {
    for (const listener of [...this.listeners]) listener.onEvents(events);
  }
  resync(): void {
    for (const listener of [...this.listeners]) listener.onResync();
  }
  readonly feed = {
    watch: async (_jobId: string, listener: LiveEventListener) => {
      this.listeners.add(listener);
      await Promise.resolve();
    },
    unwatch: (_jobId: string, listener: LiveEventListener) => this.listeners.delete(listener),
  } as unknown as LiveJobEvents;
}

/** A connection: what was delivered to it (each burst as it came), whether it finished, whether it takes writes. */
class FakeSink implements RelaySink {
  bursts: Array<readonly JobEvent[]> = [];
  finished = 0;
  writable = true;
  private waiting: Array<() => void> = [];
  deliver(events: readonly JobEvent[]): void {
    this.bursts.push(events);
  }
  finish(): void {
    this.finished += 1;
  }
  whenWritable(): Promise<void> | undefined {
    if (this.writable) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  takeWrites(): void {
    this.writable = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
  get seqs(): number[] {
    return this.bursts.flat().map((event) => event.seq);
  }
}

function setUp(afterSeq = 0) {
  const log = new FakeLog();
  const live = new FakeLive();
  const sink = new FakeSink();
  let open = 0;
  const openRelays = { inc: () => (open += 1), dec: () => (open -= 1) } as unknown as Gauge;
  const logger = { warn: () => undefined } as unknown as Logger;
  const services = { eventLog: log.eventLog, live: live.feed, logger, openRelays, pageSize: PAGE };
  const relay = new JobRelay(JOB, afterSeq, services, sink);
  const answers: Array<{ seqs: number[]; lastSeq: number; reset: boolean; more: boolean }> = [];
  const start = (authorize = (record: JobRecord) => record.owner === 'user:alice') =>
    relay.start(authorize, (snapshot, backlog, reset, more) =>
      answers.push({ seqs: backlog.map((event) => event.seq), lastSeq: snapshot.lastSeq, reset, more }),
    );
  return { log, live, sink, relay, answers, start, open: () => open };
}

/** Lets every pending read and delivery settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('JobRelay', () => {
  it('start → reading → live: answers with the snapshot and the events after afterSeq, then passes live bursts on as they are', async () => {
    const { log, live, sink, relay, answers, start } = setUp(1);
    expect(relay.currentState).toBe('reading');
    log.log(at(1), at(2), at(3));
    expect(await start()).toBe('started');
    expect(answers).toEqual([{ seqs: [2, 3], lastSeq: 3, reset: false, more: false }]);
    expect(relay.currentState).toBe('live');
    const burst = log.log(at(4), at(5));
    live.publish(burst);
    // The same array: every socket that gets the burst shares one encoded frame.
    expect(sink.bursts).toEqual([burst]);
    expect(sink.bursts[0]).toBe(burst);
  });

  it('reading, a live burst held → live: does not deliver twice an event that was published while the log was read and is in the answer', async () => {
    const { log, live, sink, answers, start } = setUp();
    log.log(at(1));
    log.whileReading(() => live.publish(log.log(at(2))));
    await start();
    await settle();
    expect(answers[0]?.seqs).toEqual([1, 2]);
    expect(sink.seqs).toEqual([]);
  });

  it('reading, a live burst held → live: delivers, after the answer and once, what was logged after the read while the subscribe was in flight', async () => {
    const { log, live, sink, answers, start } = setUp();
    log.log(at(1));
    const started = start();
    // The read has been answered; seq 2 is logged and published before the relay is done starting.
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    live.publish(log.log(at(2)));
    await started;
    await settle();
    expect([...(answers[0]?.seqs ?? []), ...sink.seqs]).toEqual([1, 2]);
  });

  it('reading, held events follow on → live: sends the live events that came during the read right after the answer, without reading the log again', async () => {
    const { log, live, sink, answers, start } = setUp();
    log.log(at(1));
    log.whileReading(() => {
      // Logged after the read's snapshot was taken: published while the answer is on its way.
      queueMicrotask(() => live.publish(log.log(at(2), at(3))));
    });
    await start();
    await settle();
    expect(answers[0]?.seqs).toEqual([1]);
    expect(sink.seqs).toEqual([2, 3]);
    expect(log.reads).toEqual([0]);
  });

  it('reading, more than a page held → reading-behind → reading → live: reads the log again rather than hold more than a page of live events that came during a read', async () => {
    const { log, live, sink, answers, start } = setUp();
    log.log(at(1));
    log.whileReading(() => {
      queueMicrotask(() => live.publish(log.log(...Array.from({ length: PAGE + 1 }, (_, i) => at(i + 2)))));
    });
    await start();
    await settle();
    expect([...(answers[0]?.seqs ?? []), ...sink.seqs]).toEqual(Array.from({ length: PAGE + 2 }, (_, i) => i + 1));
    expect(log.reads).toEqual([0, 1, 5]);
  });

  it('live → live: passes on only the new part of a burst that overlaps what was sent, and nothing of a repeated one', async () => {
    const { log, live, sink, start } = setUp();
    log.log(at(1), at(2));
    await start();
    live.publish([at(2), at(3)]);
    live.publish([at(3)]);
    live.publish([at(1), at(2)]);
    await settle();
    expect(sink.seqs).toEqual([3]);
    // Nothing new, nothing to read: a repeated burst costs no read of the log.
    expect(log.reads).toEqual([0]);
  });

  it('live, a gap → reading-behind → reading → live: fills a gap before a burst from the log: the missing events and the burst, in order, each once', async () => {
    const { log, live, sink, relay, start } = setUp();
    log.log(at(1));
    await start();
    log.log(at(2), at(3), at(4));
    // Seq 2 and 3 were lost on the way (a dropped Redis message): 4 arrives alone.
    live.publish([at(4)]);
    expect(relay.currentState).toBe('reading-behind');
    await settle();
    expect(relay.currentState).toBe('live');
    expect(sink.seqs).toEqual([2, 3, 4]);
    live.publish([at(3), at(4)]);
    expect(sink.seqs).toEqual([2, 3, 4]);
  });

  it('live, a resync → reading-behind → reading → live: re-reads the log when the live feed was interrupted, and delivers what it missed', async () => {
    const { log, live, sink, relay, start } = setUp();
    log.log(at(1));
    await start();
    log.log(at(2), at(3));
    live.resync();
    expect(relay.currentState).toBe('reading-behind');
    await settle();
    expect(relay.currentState).toBe('live');
    expect(sink.seqs).toEqual([2, 3]);
  });

  it('reading, a read failed → reading-behind → (retry) reading → closed: tries a failed read again after a second, since the event it missed could be the last one', async () => {
    vi.useFakeTimers();
    const { log, live, sink, start } = setUp();
    log.log(at(1));
    await start();
    log.log(at(2), completedAt(3));
    log.failReads = 1;
    live.publish([completedAt(3)]);
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.seqs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.seqs).toEqual([2, 3]);
    expect(sink.finished).toBe(1);
  });

  it("reading, close() → closed: answers 'closed' when closed while starting, without answering, and leaves the feed", async () => {
    const { log, live, relay, answers, start, open } = setUp();
    log.log(at(1));
    log.whileReading(() => relay.close());
    expect(await start()).toBe('closed');
    expect(answers).toEqual([]);
    expect(live.listeners.size).toBe(0);
    expect(open()).toBe(0);
  });

  it("start → closed: answers 'not-found' for a job that does not exist, or one the connection may not read, and leaves the feed", async () => {
    for (const missing of ['gone', 'refused'] as const) {
      const { log, live, answers, start, open } = setUp();
      log.log(at(1));
      if (missing === 'gone') log.exists = false;
      else log.readable = false;
      expect(await start()).toBe('not-found');
      expect(answers).toEqual([]);
      expect(live.listeners.size).toBe(0);
      expect(open()).toBe(0);
    }
  });

  it('live, the terminal event → closed: ends after the terminal event: finishes once, leaves the feed, and delivers nothing more', async () => {
    const { log, live, sink, relay, start, open } = setUp();
    log.log(at(1));
    await start();
    expect(open()).toBe(1);
    live.publish(log.log(at(2), completedAt(3)));
    live.publish([at(4)]);
    expect(sink.seqs).toEqual([2, 3]);
    expect(sink.finished).toBe(1);
    expect(relay.isOpen).toBe(false);
    expect(relay.currentState).toBe('closed');
    expect(live.listeners.size).toBe(0);
    expect(open()).toBe(0);
  });

  it('start → closed: finishes at once when resumed at the end of a finished job', async () => {
    const { log, sink, answers, relay, start } = setUp(3);
    log.log(at(1), at(2), completedAt(3));
    await start();
    expect(answers).toEqual([{ seqs: [], lastSeq: 3, reset: false, more: false }]);
    expect(sink.finished).toBe(1);
    expect(relay.isOpen).toBe(false);
  });

  it('reading, more pages → reading (paging) → live: answers a long backlog with its first page and more, and reads each next page only once the connection took the last', async () => {
    const { log, live, sink, relay, answers, start } = setUp();
    log.log(...Array.from({ length: 10 }, (_, i) => at(i + 1)));
    sink.writable = false;
    await start();
    expect(answers).toEqual([{ seqs: [1, 2, 3, 4], lastSeq: 10, reset: false, more: true }]);
    expect(relay.currentState).toBe('reading');
    await settle();
    expect(log.reads).toEqual([0]);
    // Live events while the backlog is read wait behind it.
    live.publish(log.log(at(11)));
    sink.takeWrites();
    await settle();
    expect(log.reads).toEqual([0, 4, 8]);
    expect(sink.seqs).toEqual([5, 6, 7, 8, 9, 10, 11]);
    sink.writable = false;
    live.publish(log.log(at(12)));
    // Caught up: live events go out as they come, the outbox bounds the rest.
    expect(sink.seqs.at(-1)).toBe(12);
    expect(relay.currentState).toBe('live');
  });

  it('reading, more pages: holds a page back for as long as the connection does not take writes', async () => {
    const { log, sink, start } = setUp();
    log.log(...Array.from({ length: 6 }, (_, i) => at(i + 1)));
    sink.writable = false;
    await start();
    await settle();
    await settle();
    expect(sink.seqs).toEqual([]);
    expect(log.reads).toEqual([0]);
  });

  it('start (reset) → live: says reset when the log was trimmed past afterSeq, delivers what it still holds, and goes on from there', async () => {
    const { log, live, sink, answers, start } = setUp(2);
    log.log(...Array.from({ length: 9 }, (_, i) => at(i + 1)));
    log.trimmedThrough = 6;
    await start();
    expect(answers).toEqual([{ seqs: [7, 8, 9], lastSeq: 9, reset: true, more: false }]);
    live.publish(log.log(at(10)));
    expect(sink.seqs).toEqual([10]);
  });

  it('start (reset) → live: says reset with the whole log when afterSeq is past the last seq (Redis lost its last writes)', async () => {
    const { log, live, sink, answers, start } = setUp(20);
    log.log(at(1), at(2));
    await start();
    expect(answers).toEqual([{ seqs: [1, 2], lastSeq: 2, reset: true, more: false }]);
    live.publish(log.log(at(3)));
    expect(sink.seqs).toEqual([3]);
  });
});

describe('JobRelay transitions with no other test', () => {
  it('reading, a resync → reading-behind: drops what it held, and the read that follows brings it, once', async () => {
    const { log, live, sink, relay, answers, start } = setUp();
    log.log(at(1));
    log.whileReading(() => {
      queueMicrotask(() => {
        live.publish(log.log(at(2)));
        live.resync();
        // Left to the next read.
        live.publish(log.log(at(3)));
      });
    });
    await start();
    await settle();
    expect(answers[0]?.seqs).toEqual([1]);
    expect(sink.seqs).toEqual([2, 3]);
    expect(log.reads).toEqual([0, 1]);
    expect(relay.currentState).toBe('live');
  });

  it('reading, the job gone from the log → live: stops reading, and a later gap reads again', async () => {
    const { log, live, sink, relay, start } = setUp();
    log.log(at(1));
    await start();
    log.exists = false;
    live.publish([at(3)]);
    await settle();
    expect(relay.currentState).toBe('live');
    expect(log.reads).toEqual([0, 1]);
    expect(sink.seqs).toEqual([]);
  });

  it('reading-behind, a live burst: leaves it to the read to come', async () => {
    const { log, live, sink, relay, start } = setUp();
    log.log(at(1));
    await start();
    sink.writable = false;
    live.resync();
    live.publish(log.log(at(2)));
    expect(relay.currentState).toBe('reading-behind');
    expect(sink.seqs).toEqual([]);
    sink.takeWrites();
    await settle();
    expect(sink.seqs).toEqual([2]);
    expect(log.reads).toEqual([0, 1]);
  });

  it('closed: a late burst or resync delivers and reads nothing', async () => {
    const { log, live, sink, relay, start } = setUp();
    log.log(at(1));
    await start();
    const listener = [...live.listeners][0] as LiveEventListener;
    relay.close();
    relay.close();
    listener.onEvents(log.log(at(2)));
    listener.onResync();
    await settle();
    expect(sink.seqs).toEqual([]);
    expect(log.reads).toEqual([0]);
    expect(relay.currentState).toBe('closed');
  });
});

describe('followsOn', () => {
  it('accepts a burst that starts right after the last seq and has no hole', () => {
    expect(followsOn([at(4)], 3)).toBe(true);
    expect(followsOn([at(4), at(5), at(6)], 3)).toBe(true);
  });

  it('refuses an empty burst, one that repeats, skips ahead or has a hole', () => {
    expect(followsOn([], 3)).toBe(false);
    expect(followsOn([at(3), at(4)], 3)).toBe(false);
    expect(followsOn([at(5)], 3)).toBe(false);
    expect(followsOn([at(4), at(6)], 3)).toBe(false);
  });
});
