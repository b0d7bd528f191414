import type { JobEvent, JobSnapshot } from '@jobcast/contracts/protocol';

/**
 * The snapshot after `event`: the same moves the gateway's log makes (libs/job-log `snapshotPatchFor`),
 * so a watcher's snapshot stays equal to what `GET /jobs/:id` would answer. An event the snapshot
 * already includes (seq <= snapshot.lastSeq) leaves it untouched and returns the same object, which
 * lets callers tell "changed" by identity.
 */
export function applyEvent(snapshot: JobSnapshot, event: JobEvent): JobSnapshot {
  if (event.seq <= snapshot.lastSeq) return snapshot;
  const next: JobSnapshot = { ...snapshot, lastSeq: event.seq, updatedAt: event.at };
  switch (event.type) {
    case 'queued':
      return { ...next, status: 'queued', percent: 0, attempt: 0 };
    case 'started':
      return { ...next, status: 'active', attempt: event.data.attempt };
    case 'progress': {
      const { percent, stage, message } = event.data;
      return {
        ...next,
        percent,
        ...(stage !== undefined && { stage }),
        ...(message !== undefined && { message }),
      };
    }
    case 'log':
      return next;
    case 'retrying':
      return { ...next, status: 'retrying', error: event.data.error };
    case 'completed': {
      const { error: _cleared, ...rest } = next;
      return { ...rest, status: 'completed', percent: 100, result: event.data.result ?? null };
    }
    case 'failed':
      return { ...next, status: 'failed', error: event.data.error };
    case 'cancelled':
      return { ...next, status: 'cancelled', ...(event.data.reason !== undefined && { message: event.data.reason }) };
  }
}
