import type { JobEvent, JobEventBody, JobSnapshot } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { JobCursor, type CursorOwner } from './job-watch';
import { JobcastError } from './jobcast-error';

function event(
  seq: number,
  body: JobEventBody = { type: 'progress', data: { percent: seq } },
  fromSeq?: number,
): JobEvent {
  return { jobId: 'job-1', seq, at: 1000 + seq, ...(fromSeq !== undefined && { fromSeq }), ...body };
}

const completed = (seq: number): JobEvent => event(seq, { type: 'completed', data: { result: 'ok' } });

function snapshot(lastSeq: number, status: JobSnapshot['status'] = 'active'): JobSnapshot {
  return {
    id: 'job-1',
    type: 'demo.steps',
    status,
    percent: 0,
    attempt: 1,
    lastSeq,
    createdAt: 1000,
    updatedAt: 1000 + lastSeq,
  };
}

function cursor(afterSeq = 0): { cursor: JobCursor; seen: number[]; released: boolean[] } {
  const released: boolean[] = [];
  const owner: CursorOwner = { release: (_cursor, unsubscribe) => released.push(unsubscribe) };
  const watch = new JobCursor('job-1', afterSeq, owner);
  const seen: number[] = [];
  watch.onEvent((e) => seen.push(e.seq));
  return { cursor: watch, seen, released };
}

describe('JobCursor', () => {
  it('delivers the backlog, then live events, each once and in order', () => {
    const { cursor: watch, seen } = cursor();
    watch.start(snapshot(2), [event(1), event(2)]);
    expect(watch.offer(event(2))).toBe('duplicate');
    expect(watch.offer(event(3))).toBe('next');
    // A resubscribe after a reconnect replays what the watch already has.
    watch.start(snapshot(4), [event(2), event(3), event(4)]);
    expect(watch.offer(event(5))).toBe('next');
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(watch.lastSeq).toBe(5);
  });

  it('takes the rest of a long backlog as live events when the ack says more follows, even of a finished job', () => {
    const { cursor: watch, seen } = cursor();
    watch.start(snapshot(5, 'completed'), [event(1), event(2)], { more: true });
    expect(watch.needsTerminal).toBe(false);
    expect(watch.offer(event(3))).toBe('next');
    expect(watch.offer(event(4))).toBe('next');
    expect(watch.offer(completed(5))).toBe('next');
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(watch.snapshot?.status).toBe('completed');
  });

  it('reports a reset when the log was trimmed past its last seq, and delivers what the log still holds', () => {
    const { cursor: watch, seen } = cursor(2);
    const resets: number[] = [];
    watch.onReset((truth) => resets.push(truth.lastSeq));
    watch.start(snapshot(9), [event(7), event(8), event(9)], { reset: true });
    expect(resets).toEqual([9]);
    expect(seen).toEqual([7, 8, 9]);
    expect(watch.offer(event(10))).toBe('next');
  });

  it("reports a reset when the log is behind it, and goes on from the log's last seq", () => {
    const { cursor: watch, seen } = cursor(12);
    const resets: number[] = [];
    watch.onReset((truth) => resets.push(truth.lastSeq));
    watch.start(snapshot(9), [event(1), event(9)], { reset: true });
    expect(resets).toEqual([9]);
    expect(watch.snapshot?.lastSeq).toBe(9);
    expect(watch.lastSeq).toBe(9);
    expect(watch.offer(event(10))).toBe('next');
    expect(seen).toEqual([10]);
  });

  it('takes no reset for a watch whose own position the log still covers', () => {
    const { cursor: watch, seen } = cursor(7);
    const resets: number[] = [];
    watch.onReset((truth) => resets.push(truth.lastSeq));
    // The subscription asked from seq 2 for another watch of the same job; this one needs 8 on.
    watch.start(snapshot(9), [event(7), event(8), event(9)], { reset: true });
    expect(resets).toEqual([]);
    expect(seen).toEqual([8, 9]);
  });

  it('holds back an event after a gap and takes a conflated one that covers it', () => {
    const { cursor: watch, seen } = cursor();
    watch.start(snapshot(1), [event(1)]);
    expect(watch.offer(event(3))).toBe('gap');
    expect(watch.lastSeq).toBe(1);
    expect(watch.offer(event(6, undefined, 2))).toBe('next');
    expect(seen).toEqual([1, 6]);
  });

  it('trims a conflated range that reaches back into delivered seqs', () => {
    const { cursor: watch } = cursor();
    const delivered: JobEvent[] = [];
    watch.onEvent((e) => delivered.push(e));
    watch.start(snapshot(3), [event(1), event(2), event(3)]);
    watch.offer(event(9, undefined, 2));
    watch.offer(event(12, undefined, 10));
    expect(delivered.slice(3).map((e) => [e.fromSeq, e.seq])).toEqual([
      [4, 9],
      [10, 12],
    ]);
  });

  it('moves past seqs the log no longer holds', () => {
    const { cursor: watch, seen } = cursor();
    watch.start(snapshot(9), [event(7), event(8), event(9)]);
    expect(watch.lastSeq).toBe(9);
    watch.start(snapshot(12), []);
    expect(watch.lastSeq).toBe(12);
    expect(watch.offer(event(13))).toBe('next');
    expect(seen).toEqual([7, 8, 9, 13]);
  });

  it('keeps the snapshot current and tells its listeners', () => {
    const { cursor: watch } = cursor();
    const percents: number[] = [];
    watch.onSnapshot((s) => percents.push(s.percent));
    expect(watch.snapshot).toBeUndefined();
    watch.start(snapshot(1), [event(1)]);
    watch.offer(event(2, { type: 'progress', data: { percent: 20 } }));
    // An older snapshot from a slower gateway does not win over what the watch has applied.
    watch.start(snapshot(1), []);
    expect(watch.snapshot).toMatchObject({ percent: 20, lastSeq: 2 });
    expect(percents).toEqual([0, 20]);
  });

  it('starts after afterSeq', () => {
    const { cursor: watch, seen } = cursor(2);
    expect(watch.lastSeq).toBe(2);
    watch.start(snapshot(4), [event(3), event(4)]);
    expect(seen).toEqual([3, 4]);
  });

  it('resolves done with the terminal event and ends iteration after it', async () => {
    const { cursor: watch, released } = cursor();
    const iterated: number[] = [];
    const iteration = (async () => {
      for await (const e of watch) iterated.push(e.seq);
    })();
    watch.start(snapshot(1), [event(1)]);
    watch.offer(event(2));
    watch.offer(completed(3));
    await expect(watch.done).resolves.toMatchObject({ seq: 3, type: 'completed' });
    await iteration;
    expect(iterated).toEqual([1, 2, 3]);
    expect(released).toEqual([false]);
    expect(watch.snapshot).toMatchObject({ status: 'completed', percent: 100, result: 'ok' });
    expect(watch.offer(event(4))).toBe('duplicate');
  });

  it('fetches the terminal event again for a caller resuming after the end', async () => {
    const { cursor: watch, seen } = cursor(9);
    watch.start(snapshot(5, 'completed'), []);
    expect(watch.needsTerminal).toBe(true);
    expect(watch.resumeAfter).toBe(4);
    watch.start(snapshot(5, 'completed'), [completed(5)]);
    await expect(watch.done).resolves.toMatchObject({ seq: 5 });
    expect(watch.needsTerminal).toBe(false);
    expect(seen).toEqual([]);
  });

  it('asks for a skipped terminal event only once', () => {
    const { cursor: watch } = cursor(9);
    watch.start(snapshot(5, 'completed'), []);
    watch.start(snapshot(5, 'completed'), []);
    expect(watch.needsTerminal).toBe(false);
  });

  it('rejects done on close, unsubscribes, and ends iteration quietly', async () => {
    const { cursor: watch, released } = cursor();
    const iteration = (async () => {
      for await (const _ of watch) void _;
    })();
    watch.close();
    watch.close();
    await expect(watch.done).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(iteration).resolves.toBeUndefined();
    expect(released).toEqual([true]);
    expect(watch.offer(event(1))).toBe('duplicate');
  });

  it('rejects done and throws from iteration on failure', async () => {
    const { cursor: watch } = cursor();
    const iteration = (async () => {
      for await (const _ of watch) void _;
    })();
    watch.fail(new JobcastError('JOB_NOT_FOUND', 'Job job-1 not found'));
    await expect(watch.done).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(iteration).rejects.toBeInstanceOf(JobcastError);
  });

  it('stops delivering to a removed listener', () => {
    const { cursor: watch } = cursor();
    const seen: number[] = [];
    const stop = watch.onEvent((e) => seen.push(e.seq));
    watch.start(snapshot(1), [event(1)]);
    stop();
    watch.offer(event(2));
    expect(seen).toEqual([1]);
  });
});

describe('JobCursor output', () => {
  const output = (seq: number, key: string, offset: number, text: string): JobEvent =>
    event(seq, { type: 'output', data: { key, offset, text } });

  it('builds each stream from its output events, for listeners and late askers alike', () => {
    const { cursor: watch } = cursor();
    const chunks: string[] = [];
    watch.output('answer').onChunk((chunk) => chunks.push(chunk));
    watch.start(snapshot(2), [event(1), output(2, 'answer', 0, 'Hel')]);
    watch.offer(output(3, 'log', 0, 'x'));
    watch.offer(output(4, 'answer', 3, 'lo 🚀'));
    expect(watch.output('answer').text).toBe('Hello 🚀');
    expect(watch.output('log').text).toBe('x');
    expect(chunks).toEqual(['Hel', 'lo 🚀']);
    // A replay after a reconnect does not add text twice.
    watch.start(snapshot(4), [output(3, 'log', 0, 'x'), output(4, 'answer', 3, 'lo 🚀')]);
    expect(watch.output('answer').text).toBe('Hello 🚀');
  });

  it('rebuilds the text from what the log holds on a reset, and says so', () => {
    const { cursor: watch } = cursor();
    const resets: string[] = [];
    watch.output('a').onReset((text) => resets.push(text));
    watch.start(snapshot(3), [event(1), output(2, 'a', 0, 'one '), output(3, 'a', 4, 'two ')]);
    // Redis lost seq 3; the worker writes on where the log's stream ends.
    watch.start(snapshot(2), [event(1), output(2, 'a', 0, 'one ')], { reset: true });
    expect(watch.output('a').text).toBe('one ');
    expect(resets).toEqual(['one ']);
    watch.offer(output(3, 'a', 4, 'three'));
    watch.offer(output(4, 'a', 9, '!'));
    expect(watch.output('a').text).toBe('one three!');
  });

  it('iterates the text so far, then each piece, to the end of the job', async () => {
    const { cursor: watch } = cursor();
    watch.start(snapshot(1), [output(1, 'a', 0, 'ab')]);
    const pieces: string[] = [];
    const reading = (async () => {
      for await (const piece of watch.output('a')) pieces.push(piece);
    })();
    watch.offer(output(2, 'a', 2, 'c'));
    await Promise.resolve();
    watch.offer(output(3, 'a', 3, 'd'));
    watch.offer(completed(4));
    await reading;
    expect(pieces.join('')).toBe('abcd');
  });

  it('ends iteration with OUTPUT_RESET when a reset changed text it already yielded', async () => {
    const { cursor: watch } = cursor();
    watch.start(snapshot(2), [output(1, 'a', 0, 'ab'), output(2, 'a', 2, 'cd')]);
    const iterator = watch.output('a')[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe('abcd');
    watch.start(snapshot(1), [output(1, 'a', 0, 'ab')], { reset: true });
    await expect(iterator.next()).rejects.toMatchObject({ code: 'OUTPUT_RESET' });
  });

  it('takes the seq of an event type it does not know and delivers nothing of it', () => {
    const { cursor: watch, seen } = cursor();
    const future = { jobId: 'job-1', seq: 2, at: 1, type: 'thought', data: { text: 'hm' } } as unknown as JobEvent;
    watch.start(snapshot(1), [event(1)]);
    expect(watch.offer(future)).toBe('next');
    expect(watch.offer(event(3))).toBe('next');
    expect(seen).toEqual([1, 3]);
    expect(watch.snapshot?.lastSeq).toBe(3);
  });
});
