import type { JobEvent, JobEventBody } from './job-event';
import type { JobSnapshot } from './job-snapshot';

/**
 * What one event changes in its job's snapshot: each field present is set to its value, or removed when its
 * value is undefined. Never `lastSeq`: that is the event's seq, which the log allocates.
 */
export type SnapshotChange = Partial<Omit<JobSnapshot, 'id' | 'type' | 'createdAt' | 'lastSeq'>>;

/**
 * How each event moves its job's snapshot, written once: the job log stores the change in the snapshot it
 * keeps in Redis, and a client applies it to the snapshot it holds, so that a watcher's snapshot stays what
 * `GET /jobs/:id` would answer.
 */
export function snapshotChangeFor(event: JobEventBody, at: number): SnapshotChange {
  const updatedAt = at;
  switch (event.type) {
    case 'queued':
      return { updatedAt, status: 'queued', percent: 0, attempt: 0 };
    case 'started':
      return { updatedAt, status: 'active', attempt: event.data.attempt };
    case 'progress': {
      // Progress without a stage or message keeps the previous ones.
      const { percent, stage, message } = event.data;
      return { updatedAt, percent, ...(stage !== undefined && { stage }), ...(message !== undefined && { message }) };
    }
    case 'log':
      return { updatedAt };
    case 'retrying':
      return { updatedAt, status: 'retrying', error: event.data.error };
    case 'completed':
      // A missing result is stored as null, so that a completed job always has one.
      return { updatedAt, status: 'completed', percent: 100, error: undefined, result: event.data.result ?? null };
    case 'failed':
      return { updatedAt, status: 'failed', error: event.data.error };
    case 'cancelled':
      return {
        updatedAt,
        status: 'cancelled',
        ...(event.data.reason !== undefined && { message: event.data.reason }),
      };
  }
}

/**
 * The snapshot after `event`: the change the job log stores for it (snapshotChangeFor), so a watcher's (or a
 * worker's) snapshot stays equal to what `GET /jobs/:id` would answer. An event the snapshot already includes
 * (seq <= snapshot.lastSeq) leaves it untouched and returns the same object, which lets callers tell
 * "changed" by identity.
 */
export function applyEvent(snapshot: JobSnapshot, event: JobEvent): JobSnapshot {
  if (event.seq <= snapshot.lastSeq) return snapshot;
  const change = snapshotChangeFor(event, event.at);
  const next: JobSnapshot = { ...snapshot, ...change, lastSeq: event.seq };
  for (const [field, value] of Object.entries(change)) {
    if (value === undefined) delete next[field as keyof typeof change];
  }
  return next;
}
