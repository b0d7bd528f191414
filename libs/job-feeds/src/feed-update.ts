import type { BatchSnapshot, JobSnapshot } from '@jobcast/contracts';
import type { FeedIdentity } from '@jobcast/redis';
import { decodeBatchRecord } from './batch-record';
import { encodeFeedCursor } from './feed-cursor';

/** One change of a feed, as its channel carries it: the job as it was then, and the cursor just after it. */
export interface FeedUpdate {
  job: JobSnapshot;
  cursor: string;
  /** On a batch's feed: the batch with this change counted. */
  batch?: BatchSnapshot;
}

interface PublishedChange {
  epoch: string;
  clock: number;
  job: JobSnapshot;
  /** The batch's record as a flat HGETALL list (touch-batch-feed.lua). */
  batch?: string[];
}

/** Reads a message of a feed's channel (RedisKeys.feedChannel), as touch-feed.lua publishes it. */
export function decodeFeedUpdate(feed: FeedIdentity, message: string): FeedUpdate {
  const change = JSON.parse(message) as PublishedChange;
  const batch =
    feed.kind === 'batch' && change.batch ? decodeBatchRecord(feed.batchId, change.batch)?.snapshot : undefined;
  return {
    job: change.job,
    cursor: encodeFeedCursor({ epoch: change.epoch, clock: change.clock }),
    ...(batch && { batch }),
  };
}
