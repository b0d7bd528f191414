import { MAX_BATCH_JOBS, type BatchSnapshot, type JobSnapshot } from '@jobcast/contracts';
import type { JobEventLog } from '@jobcast/job-log';
import type { FeedIdentity, RedisClient, RedisKeys } from '@jobcast/redis';
import { batchShareOf, decodeBatchRecord, newBatchFields, type BatchRecord } from './batch-record';
import { decodeFeedCursor, encodeFeedCursor, newFeedEpoch } from './feed-cursor';
import { feedsOfJob } from './feeds-of-job';
import { CREATE_BATCH_LUA, READ_FEED_LUA, TOUCH_BATCH_FEED_LUA, TOUCH_FEED_LUA } from './lua-scripts';

export interface FeedRetention {
  /** A feed keeps this many of its most recently changed jobs (FEED_MAX_JOBS); a cursor older resets. */
  maxJobs: number;
  /** A feed's and a batch's keys live this long after their latest change: JOB_MAX_AGE, longer than any job. */
  ttlMs: number;
}

/** What a subscribe answers: a page of the feed, and the cursor to resume after it. */
export interface FeedPage {
  jobs: JobSnapshot[];
  cursor: string;
  /** Without `since` (or on a reset): older jobs exist (`GET /jobs` lists them). With `since`: more changed. */
  more?: true;
  /** `since` could not be served (older than the feed's retention, or from a Redis that lost writes). */
  reset?: true;
  /** On a batch's feed, the batch as it is now. */
  batch?: BatchSnapshot;
}

export interface NewBatch {
  id: string;
  owner: string;
  /** In the order submitted; 1 to MAX_BATCH_JOBS. */
  jobIds: readonly string[];
}

/** Why a batch operation was refused. */
export class BatchError extends Error {
  constructor(readonly reason: 'BATCH_NOT_FOUND' | 'BATCH_EXISTS' | 'NOT_IN_BATCH') {
    super(reason);
    this.name = 'BatchError';
  }
}

type ReadAnswer = [epoch: string, clock: string, kind: 'since' | 'newest' | 'reset', page: string[]];

interface FeedCommands {
  jobcastTouchFeed(clock: string, changes: string, channel: string, ...args: string[]): Promise<number>;
  jobcastTouchBatchFeed(
    clock: string,
    changes: string,
    channel: string,
    record: string,
    jobStates: string,
    ...args: string[]
  ): Promise<number>;
  jobcastReadFeed(clock: string, changes: string, ...args: string[]): Promise<ReadAnswer>;
  jobcastCreateBatch(record: string, jobStates: string, jobIds: string, ...args: string[]): Promise<number>;
}

/**
 * Feeds: live views of many jobs (an owner's, a tag's, a batch's), each a clock and the jobs it holds scored
 * by their latest change, so a subscriber that resumes with its cursor reads every job changed since, at its
 * current state (from the job log). And batches, whose record counts their jobs' statuses as they change.
 */
export class JobFeeds {
  private readonly redis: RedisClient & FeedCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly eventLog: JobEventLog,
    private readonly retention: FeedRetention,
  ) {
    redis.defineCommand('jobcastTouchFeed', { numberOfKeys: 3, lua: TOUCH_FEED_LUA });
    redis.defineCommand('jobcastTouchBatchFeed', { numberOfKeys: 5, lua: TOUCH_BATCH_FEED_LUA });
    redis.defineCommand('jobcastReadFeed', { numberOfKeys: 2, lua: READ_FEED_LUA });
    redis.defineCommand('jobcastCreateBatch', { numberOfKeys: 3, lua: CREATE_BATCH_LUA });
    this.redis = redis as RedisClient & FeedCommands;
  }

  /**
   * Records that a job changed, in each of `feeds` (one script per feed, all sent at once: on a Cluster they
   * are in different slots), and publishes the snapshot on each feed's channel. A batch's feed counts the
   * change in the batch unless it counted this snapshot, or a newer one, already.
   */
  async touch(feeds: readonly FeedIdentity[], snapshot: JobSnapshot): Promise<void> {
    const json = JSON.stringify(snapshot);
    const [epoch, ttlMs] = [newFeedEpoch(), String(this.retention.ttlMs)];
    await this.guarded(() =>
      Promise.all(
        feeds.map((feed) => {
          const feedKeys = [
            this.keys.feedClock(feed),
            this.keys.feedChanges(feed),
            this.keys.feedChannel(feed),
          ] as const;
          if (feed.kind !== 'batch') {
            const maxJobs = String(this.retention.maxJobs);
            return this.redis.jobcastTouchFeed(...feedKeys, snapshot.id, json, epoch, maxJobs, ttlMs);
          }
          // A batch's feed holds each of its jobs once: the batch bounds it, so it is never trimmed.
          return this.redis.jobcastTouchBatchFeed(
            ...feedKeys,
            this.keys.batchRecord(feed.batchId),
            this.keys.batchJobStates(feed.batchId),
            snapshot.id,
            json,
            epoch,
            String(MAX_BATCH_JOBS),
            ttlMs,
            snapshot.status,
            String(batchShareOf(snapshot)),
            String(snapshot.lastSeq),
            String(Date.now()),
          );
        }),
      ),
    );
  }

  /** Touches every feed the job is in (feedsOfJob): what a write hook calls with the job's record. */
  touchJob(record: { owner: string; snapshot: JobSnapshot }): Promise<void> {
    const { tags, batchId } = record.snapshot;
    return this.touch(feedsOfJob({ owner: record.owner, tags, batchId }), record.snapshot);
  }

  /**
   * A page of the feed. Without `since`: its most recently changed jobs, newest first. With `since` (a cursor
   * it gave): every job changed after it, oldest change first, at its current state; `more` when more than a
   * page changed (read again from the answer's cursor). A cursor it cannot serve answers the first page with
   * `reset`. FeedCursorError for a cursor it did not give.
   */
  async read(feed: FeedIdentity, options: { since?: string; limit: number }): Promise<FeedPage> {
    const since = options.since === undefined ? undefined : decodeFeedCursor(options.since);
    const [epoch, clock, kind, flat] = await this.redis.jobcastReadFeed(
      this.keys.feedClock(feed),
      this.keys.feedChanges(feed),
      since === undefined ? '0' : '1',
      since?.epoch ?? '',
      String(since?.clock ?? 0),
      String(options.limit),
    );
    const entries: Array<{ jobId: string; clock: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ jobId: flat[i] as string, clock: Number(flat[i + 1]) });
    const more = entries.length > options.limit;
    const page = entries.slice(0, options.limit);
    // Reading after changes of the page: a page that stops short resumes after its last one.
    const resumeAt = kind === 'since' && more ? (page.at(-1)?.clock ?? Number(clock)) : Number(clock);
    const [jobs, batch] = await Promise.all([
      this.currentSnapshots(
        feed,
        page.map((entry) => entry.jobId),
      ),
      feed.kind === 'batch' ? this.getBatch(feed.batchId) : undefined,
    ]);
    return {
      jobs,
      cursor: encodeFeedCursor({ epoch, clock: resumeAt }),
      ...(more && { more: true as const }),
      ...(kind === 'reset' && { reset: true as const }),
      ...(batch && { batch: batch.snapshot }),
    };
  }

  /**
   * Creates a batch whose jobs (not yet created) are counted queued at 0%; it lives as long as its jobs can.
   * BatchError BATCH_EXISTS when the id is taken.
   */
  async createBatch(batch: NewBatch, at = Date.now()): Promise<BatchSnapshot> {
    const fields = Object.entries(newBatchFields(batch.owner, batch.jobIds.length, at)).flat();
    await this.guarded(() =>
      this.redis.jobcastCreateBatch(
        this.keys.batchRecord(batch.id),
        this.keys.batchJobStates(batch.id),
        this.keys.batchJobIds(batch.id),
        String(this.retention.ttlMs),
        String(fields.length / 2),
        ...fields,
        ...batch.jobIds,
      ),
    );
    const created = await this.getBatch(batch.id);
    if (!created) throw new BatchError('BATCH_NOT_FOUND');
    return created.snapshot;
  }

  /** The batch and its owner, or null when it does not exist (or has expired). */
  async getBatch(batchId: string): Promise<BatchRecord | null> {
    const flat = await this.redis.hgetall(this.keys.batchRecord(batchId));
    return decodeBatchRecord(batchId, Object.entries(flat).flat());
  }

  /** A page of a batch's job ids, in the order submitted: `GET /jobs?batch=` reads at most the batch's size. */
  batchJobIds(batchId: string, offset: number, limit: number): Promise<string[]> {
    return this.redis.lrange(this.keys.batchJobIds(batchId), offset, offset + limit - 1);
  }

  /**
   * The jobs' snapshots as they are now (one read each, all sent at once), in the page's order. A job gone
   * from the log has expired: it leaves the feed too, so the next pages do not carry it.
   */
  private async currentSnapshots(feed: FeedIdentity, jobIds: readonly string[]): Promise<JobSnapshot[]> {
    const records = await Promise.all(jobIds.map((jobId) => this.eventLog.getRecord(jobId)));
    const expired = jobIds.filter((_, i) => records[i] === null);
    if (expired.length > 0) await this.redis.zrem(this.keys.feedChanges(feed), ...expired);
    return records.flatMap((record) => (record ? [record.snapshot] : []));
  }

  /** Turns the scripts' error replies into BatchError. */
  private async guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const reason = /(BATCH_NOT_FOUND|BATCH_EXISTS|NOT_IN_BATCH)$/.exec((error as Error).message)?.[1];
      if (reason) throw new BatchError(reason as BatchError['reason']);
      throw error;
    }
  }
}
