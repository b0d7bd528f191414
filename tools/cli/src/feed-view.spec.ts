import type { BatchSnapshot, JobSnapshot } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { describeChange, feedTable, FeedView, newestFirst } from './feed-view';

function job(id: string, updatedAt: number, fields: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id,
    type: 'demo.steps',
    status: 'active',
    percent: 40.7,
    attempt: 1,
    lastSeq: 3,
    createdAt: 0,
    updatedAt,
    ...fields,
  };
}

const batch: BatchSnapshot = {
  id: 'b1',
  total: 3,
  counts: { queued: 0, active: 2, retrying: 0, completed: 1, failed: 0, cancelled: 0 },
  percent: 50,
  done: false,
  createdAt: 0,
  updatedAt: 0,
};

/** A terminal (or not) that keeps what is written. */
function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { written, out: { isTTY, rows: 6, columns: 120, write: (text: string) => written.push(text) } };
}

describe('feed view', () => {
  it('orders the jobs newest first and filters them by status and type', () => {
    const jobs = [job('a', 1), job('b', 3, { status: 'completed' }), job('c', 2), job('d', 2, { type: 'other' })];
    expect(newestFirst(jobs, {}).map((j) => j.id)).toEqual(['b', 'c', 'd', 'a']);
    expect(newestFirst(jobs, { status: 'active', type: 'demo.steps' }).map((j) => j.id)).toEqual(['c', 'a']);
  });

  it('describes a change in one line, without control characters from the job', () => {
    expect(describeChange(job('a', 1))).toBe('a demo.steps active 40%');
    expect(describeChange(job('a', 1, { stage: 'resize', message: 'x\x1b]0;owned\x07\ny' }))).toBe(
      'a demo.steps active 40%  resize: x]0;owned y',
    );
  });

  it('fits the table to the height, newest rows first, each line shorter than the width', () => {
    const jobs = newestFirst([job('a', 1), job('b', 2), job('c', 3, { message: 'm'.repeat(200) })], {});
    const lines = feedTable(jobs, batch, 5, 80);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('3 jobs  (newest 2 shown)  batch b1: 50%  active 2, completed 1');
    expect(lines[1]).toMatch(/^ID\s+TYPE\s+STATUS\s+PERCENT\s+UPDATED\s+STAGE\/MESSAGE$/);
    expect(lines[2]).toMatch(/^c\s+demo\.steps\s+active\s+40%\s+1970-01-01T00:00:00\.003Z\s+m+$/);
    expect(lines[3]).toMatch(/^b\s+demo\.steps\s+active\s+40%\s+1970-01-01T00:00:00\.002Z\s+-$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(79);
    expect(feedTable([], undefined, 24, 80)[0]).toBe('0 jobs');
  });

  it('on a terminal, redraws the table in place over the lines it drew before', () => {
    const { written, out } = terminal(true);
    const view = new FeedView(out, {});
    const all = new Map([['a', job('a', 1)]]);
    view.show([job('a', 1)], all);
    expect(written[0]).not.toContain('\x1b[3F');
    view.show([job('a', 1)], all);
    expect(written[1]?.startsWith('\x1b[3F\x1b[2K1 job\n')).toBe(true);
    expect(written[1]?.endsWith('\x1b[J')).toBe(true);
  });

  it('off a terminal, prints a line per job when its line changes, again after a reset', () => {
    const { written, out } = terminal(false);
    const view = new FeedView(out, { status: 'completed' });
    const done = job('a', 2, { status: 'completed', percent: 100 });
    const all = new Map([['a', done]]);
    view.show([job('a', 1), done], all);
    view.show([done], all);
    expect(written).toEqual(['a demo.steps completed 100%\n']);
    view.reset();
    view.show([done], all);
    expect(written).toHaveLength(2);
  });
});
