import { snapshotChangeFor, type JobEvent, type JobSnapshot } from '@jobcast/contracts/protocol';

/**
 * The snapshot after `event`: the change the job log stores for it (snapshotChangeFor), so a watcher's
 * snapshot stays equal to what `GET /jobs/:id` would answer. An event the snapshot already includes
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
