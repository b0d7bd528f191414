import { describe, expect, it } from 'vitest';
import { batchShareOf, decodeBatchRecord, newBatchFields } from './batch-record';

describe('batch records', () => {
  it('start with every job queued at 0%', () => {
    const record = decodeBatchRecord('b1', Object.entries(newBatchFields(':alice', 3, 100)).flat());
    expect(record).toEqual({
      owner: ':alice',
      snapshot: {
        id: 'b1',
        total: 3,
        counts: { queued: 3, active: 0, retrying: 0, completed: 0, failed: 0, cancelled: 0 },
        percent: 0,
        done: false,
        createdAt: 100,
        updatedAt: 100,
      },
    });
  });

  it('count a finished job as 100%, whatever its last progress, in exact hundredths', () => {
    expect(batchShareOf({ status: 'active', percent: 33.33 })).toBe(3333);
    expect(batchShareOf({ status: 'failed', percent: 12 })).toBe(10_000);
    expect(batchShareOf({ status: 'cancelled', percent: 0 })).toBe(10_000);
  });

  it('are done when every job has ended, and average the percent', () => {
    const fields = { ...newBatchFields(':a', 2, 1), queued: '0', completed: '1', failed: '1', percentSum: '20000' };
    expect(decodeBatchRecord('b1', Object.entries(fields).flat())?.snapshot).toMatchObject({
      percent: 100,
      done: true,
    });
    const half = { ...newBatchFields(':a', 3, 1), queued: '2', completed: '1', percentSum: '10001' };
    expect(decodeBatchRecord('b1', Object.entries(half).flat())?.snapshot).toMatchObject({
      percent: 33.34,
      done: false,
    });
    expect(decodeBatchRecord('b1', [])).toBeNull();
  });
});
