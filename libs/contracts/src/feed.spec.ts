import { describe, expect, it } from 'vitest';
import { BatchSnapshotSchema } from './batch-snapshot';
import {
  FeedSchema,
  FeedStreamQuerySchema,
  FeedSubscribeAckSchema,
  FeedSubscribeRequestSchema,
  PlainFeedClientMessageSchema,
} from './feed';
import { ListJobsQuerySchema, SubmitBatchRequestSchema, SubmitJobRequestSchema } from './http';
import { JobSnapshotSchema } from './job-snapshot';

const ok = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('tags on a submit', () => {
  it('takes up to 10 distinct tags of the allowed form', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `t${i}`);
    expect(ok(SubmitJobRequestSchema, { type: 't', tags: ten })).toBe(true);
    expect(ok(SubmitJobRequestSchema, { type: 't', tags: ['a', 'user:42', 'x.y_z-1', 'A'.repeat(64)] })).toBe(true);
    expect(ok(SubmitJobRequestSchema, { type: 't', tags: [...ten, 't10'] })).toBe(false);
  });

  it('refuses repeated, empty, too long and badly formed tags', () => {
    for (const tags of [['a', 'a'], [''], ['A'.repeat(65)], ['-a'], ['a b'], ['a{b}'], ['é'], 'a']) {
      expect(ok(SubmitJobRequestSchema, { type: 't', tags }), JSON.stringify(tags)).toBe(false);
    }
  });

  it('lets a snapshot carry tags and a batch, and one without them stays valid', () => {
    const snapshot = { id: 'j1', type: 't', status: 'queued', percent: 0, attempt: 0, lastSeq: 1 };
    const times = { createdAt: 1, updatedAt: 1 };
    expect(JobSnapshotSchema.parse({ ...snapshot, ...times, tags: ['a'], batchId: 'b1' })).toMatchObject({
      tags: ['a'],
      batchId: 'b1',
    });
    expect(ok(JobSnapshotSchema, { ...snapshot, ...times })).toBe(true);
  });
});

describe('a batch submit', () => {
  const job = { type: 'demo.steps', payload: { steps: 1 } };

  it('takes 1 to 1000 jobs, each with its own tags and attempts', () => {
    expect(ok(SubmitBatchRequestSchema, { jobs: [{ ...job, tags: ['a'], attempts: 2 }], tags: ['b'] })).toBe(true);
    expect(ok(SubmitBatchRequestSchema, { jobs: Array.from({ length: 1000 }, () => job) })).toBe(true);
    expect(ok(SubmitBatchRequestSchema, { jobs: Array.from({ length: 1001 }, () => job) })).toBe(false);
    expect(ok(SubmitBatchRequestSchema, { jobs: [] })).toBe(false);
  });

  it("counts the batch's tags in each job's ten", () => {
    const five = (prefix: string) => Array.from({ length: 5 }, (_, i) => `${prefix}${i}`);
    expect(ok(SubmitBatchRequestSchema, { jobs: [{ ...job, tags: five('j') }], tags: five('b') })).toBe(true);
    // Shared tags count once.
    expect(ok(SubmitBatchRequestSchema, { jobs: [{ ...job, tags: [...five('b'), 'x'] }], tags: five('b') })).toBe(true);
    const parsed = SubmitBatchRequestSchema.safeParse({
      jobs: [job, { ...job, tags: [...five('j'), 'x'] }],
      tags: five('b'),
    });
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([['jobs', 1, 'tags']]);
  });

  it('names the index of a bad job', () => {
    const parsed = SubmitBatchRequestSchema.safeParse({ jobs: [job, job, { ...job, atempts: 1 }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.slice(0, 2)).toEqual(['jobs', 2]);
  });

  it('has a snapshot whose counts name every status', () => {
    const counts = { queued: 1, active: 0, retrying: 0, completed: 1, failed: 0, cancelled: 0 };
    const batch = { id: 'b1', total: 2, counts, percent: 50, done: false, createdAt: 1, updatedAt: 2 };
    expect(ok(BatchSnapshotSchema, batch)).toBe(true);
    const { cancelled: _cancelled, ...missing } = counts;
    expect(ok(BatchSnapshotSchema, { ...batch, counts: missing })).toBe(false);
  });
});

describe('listing filters', () => {
  it('parses status, type, tag and batch, and refuses bad values', () => {
    expect(ListJobsQuerySchema.parse({ status: 'active', type: 'demo.steps', tag: 'a', batch: 'b1' })).toEqual({
      status: 'active',
      type: 'demo.steps',
      tag: 'a',
      batch: 'b1',
      limit: 20,
    });
    expect(ok(ListJobsQuerySchema, { status: 'running' })).toBe(false);
    expect(ok(ListJobsQuerySchema, { tag: 'a b' })).toBe(false);
    expect(ok(ListJobsQuerySchema, { batch: '../x' })).toBe(false);
  });
});

describe('feeds', () => {
  it('names exactly one of owner, tag, batch', () => {
    for (const feed of [{ owner: 'me' }, { owner: 'alice' }, { tag: 'uploads' }, { batch: 'b1' }]) {
      expect(ok(FeedSchema, feed)).toBe(true);
    }
    for (const feed of [{}, { owner: 'me', tag: 'a' }, { tag: 'a', batch: 'b' }, { owner: '' }, { tag: 'a b' }]) {
      expect(ok(FeedSchema, feed), JSON.stringify(feed)).toBe(false);
    }
    expect(ok(FeedSchema, { owner: 'x'.repeat(201) })).toBe(false);
  });

  it('subscribes with a feed and an optional cursor on Socket.IO and the plain WebSocket', () => {
    expect(ok(FeedSubscribeRequestSchema, { feed: { owner: 'me' }, since: 'AbC-_9' })).toBe(true);
    expect(ok(FeedSubscribeRequestSchema, { feed: { owner: 'me' }, since: 'not a cursor!' })).toBe(false);
    expect(ok(FeedSubscribeRequestSchema, { feed: { owner: 'me' }, since: 'a'.repeat(101) })).toBe(false);
    expect(ok(FeedSubscribeRequestSchema, { feed: { owner: 'me' }, afterSeq: 1 })).toBe(false);
    expect(ok(PlainFeedClientMessageSchema, { type: 'subscribe', id: '1', feed: { batch: 'b1' }, since: 'c' })).toBe(
      true,
    );
    expect(ok(PlainFeedClientMessageSchema, { type: 'subscribe', id: '1', feed: { batch: 'b1' }, jobId: 'j' })).toBe(
      false,
    );
    expect(ok(PlainFeedClientMessageSchema, { type: 'unsubscribe', feed: { tag: 'a' } })).toBe(true);
  });

  it('answers a page with its cursor, or a coded error', () => {
    expect(ok(FeedSubscribeAckSchema, { ok: true, jobs: [], cursor: 'c', more: true, reset: true })).toBe(true);
    expect(ok(FeedSubscribeAckSchema, { ok: false, error: { code: 'BATCH_NOT_FOUND', message: 'm' } })).toBe(true);
    expect(ok(FeedSubscribeAckSchema, { ok: true, jobs: [] })).toBe(false);
  });

  it('reads the SSE query as the one feed it names', () => {
    expect(FeedStreamQuerySchema.parse({ owner: 'me' })).toEqual({ feed: { owner: 'me' } });
    expect(FeedStreamQuerySchema.parse({ tag: 'a', since: 'c' })).toEqual({ feed: { tag: 'a' }, since: 'c' });
    expect(ok(FeedStreamQuerySchema, { owner: 'me', batch: 'b1' })).toBe(false);
    expect(ok(FeedStreamQuerySchema, {})).toBe(false);
    expect(ok(FeedStreamQuerySchema, { since: 'c' })).toBe(false);
  });
});
