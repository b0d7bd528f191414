/** What to do with a live event, given the last seq a watcher has delivered. */
export type EventOrder = 'next' | 'duplicate' | 'gap';

/**
 * Classifies a live event against `lastSeq`. Events come once and in order per subscription, but a
 * resubscribe (reconnect, another gateway) replays what the client may already have, and a lost message
 * must not go unnoticed. A conflated progress event (`fromSeq`) stands for the superseded progress events
 * fromSeq..seq, so it closes the gap it covers.
 */
export function classifyEvent(lastSeq: number, event: { seq: number; fromSeq?: number | undefined }): EventOrder {
  if (event.seq <= lastSeq) return 'duplicate';
  if (event.seq === lastSeq + 1) return 'next';
  if (event.fromSeq !== undefined && event.fromSeq <= lastSeq + 1) return 'next';
  return 'gap';
}
