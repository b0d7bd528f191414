import { describe, expect, it } from 'vitest';
import { creationFields, decodeJobRecord, snapshotPatchFor, type SnapshotPatch } from './snapshot-codec';

function flat(fields: Record<string, string>): string[] {
  return Object.entries(fields).flat();
}

describe('snapshot codec', () => {
  const created = {
    id: 'j1',
    type: 'demo.steps',
    owner: ':alice',
    createdAt: '100',
    lastSeq: '1',
    ...snapshotPatchFor({ type: 'queued', data: {} }, 100).set,
  };

  it('decodes a new job', () => {
    expect(decodeJobRecord(flat(created))).toEqual({
      owner: ':alice',
      cancelRequested: false,
      snapshot: {
        id: 'j1',
        type: 'demo.steps',
        status: 'queued',
        percent: 0,
        attempt: 0,
        lastSeq: 1,
        createdAt: 100,
        updatedAt: 100,
      },
    });
  });

  it('moves status, progress, result and error as events arrive', () => {
    const apply = (fields: Record<string, string>, patch: SnapshotPatch): Record<string, string> => {
      const next = { ...fields, ...patch.set };
      for (const name of patch.remove) delete next[name];
      return next;
    };
    let fields = apply(created, snapshotPatchFor({ type: 'started', data: { attempt: 1 } }, 110));
    fields = apply(fields, snapshotPatchFor({ type: 'progress', data: { percent: 40, stage: 'load' } }, 120));
    fields = apply(
      fields,
      snapshotPatchFor({ type: 'retrying', data: { attempt: 2, error: { message: 'boom' }, delayMs: 5 } }, 130),
    );
    expect(decodeJobRecord(flat(fields))?.snapshot).toMatchObject({
      status: 'retrying',
      percent: 40,
      stage: 'load',
      error: { message: 'boom' },
    });
    fields = apply(fields, snapshotPatchFor({ type: 'completed', data: { result: { ok: true } } }, 140));
    const snapshot = decodeJobRecord(flat(fields))?.snapshot;
    expect(snapshot).toMatchObject({
      status: 'completed',
      percent: 100,
      result: { ok: true },
      updatedAt: 140,
      attempt: 1,
    });
    expect(snapshot).not.toHaveProperty('error');
  });

  it('answers null for a missing job', () => {
    expect(decodeJobRecord([])).toBeNull();
  });
});

describe('a job created with tags and a batch', () => {
  it('carries them in its snapshot, and events leave them as they are', () => {
    const fields = {
      id: 'j2',
      type: 'demo.steps',
      owner: ':alice',
      createdAt: '100',
      lastSeq: '2',
      ...creationFields({ tags: ['upload', 'user:42'], batchId: 'b1' }),
      ...snapshotPatchFor({ type: 'queued', data: {} }, 100).set,
      ...snapshotPatchFor({ type: 'completed', data: { result: 1 } }, 120).set,
    };
    expect(decodeJobRecord(flat(fields))?.snapshot).toMatchObject({
      status: 'completed',
      tags: ['upload', 'user:42'],
      batchId: 'b1',
    });
  });

  it('stores nothing for no tags, so such a snapshot has no `tags`', () => {
    expect(creationFields({ tags: [] })).toEqual({});
    expect(creationFields({})).toEqual({});
  });
});
