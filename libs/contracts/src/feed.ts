import { z } from 'zod';
import { ApiErrorSchema } from './api-error';
import { BatchIdSchema, BatchSnapshotSchema } from './batch-snapshot';
import { JobSnapshotSchema } from './job-snapshot';
import { JobTagSchema } from './job-tags';
import { MAX_REQUEST_ID_LENGTH } from './plain-websocket-protocol';

/** `{"owner": "me"}` names the token's own user; a service that may read names a user's sub instead. */
export const OWN_FEED = 'me';

/**
 * A feed: a live view of many jobs, named by exactly one of `owner` (every job of a user), `tag` (the caller's
 * jobs with that tag; a tenant's, for a service) or `batch`. Strict, so `{owner, tag}` is refused, not narrowed.
 */
export const FeedSchema = z.union([
  z.strictObject({ owner: z.string().min(1).max(200) }),
  z.strictObject({ tag: JobTagSchema }),
  z.strictObject({ batch: BatchIdSchema }),
]);
export type Feed = z.infer<typeof FeedSchema>;

/**
 * A feed's position: opaque to clients (base64url), at most this long. What it means is the feed store's
 * (libs/job-feeds), which refuses one it did not issue with VALIDATION_FAILED.
 */
export const MAX_FEED_CURSOR_LENGTH = 100;
export const FeedCursorSchema = z
  .string()
  .min(1)
  .max(MAX_FEED_CURSOR_LENGTH)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor the feed gave');
export type FeedCursor = z.infer<typeof FeedCursorSchema>;

/** At most this many jobs in one answer or update of a feed. */
export const FEED_PAGE_SIZE = 100;

/**
 * What every transport's subscribe answer carries. Without `since`: the feed's newest jobs, newest first,
 * `more` when older ones exist (read them with `GET /jobs`). With `since`: every job that changed after it,
 * at its current state, in the order of their changes; `more` when the rest follows as updates. `reset`:
 * the feed could not serve `since` (older than its retention, or from a Redis that lost writes), so this is
 * the first page instead. `batch` only on a batch feed.
 */
const FeedPageShape = {
  jobs: z.array(JobSnapshotSchema),
  cursor: FeedCursorSchema,
  batch: BatchSnapshotSchema.optional(),
  more: z.literal(true).optional(),
  reset: z.literal(true).optional(),
};

/**
 * A live update: jobs of the feed that changed, at their state then, and the cursor to resume after them.
 * `reset`: the feed lost its history while subscribed (a Redis that lost writes), so `jobs` is its first page
 * again, as a subscribe's reset answer would be.
 */
const FeedUpdateShape = {
  feed: FeedSchema,
  jobs: z.array(JobSnapshotSchema),
  cursor: FeedCursorSchema,
  batch: BatchSnapshotSchema.optional(),
  reset: z.literal(true).optional(),
};

// Socket.IO (namespace /jobs): `subscribe {feed, since?}` → ack; live `feed:jobs`; `unsubscribe {feed}`.
export const FeedSubscribeRequestSchema = z.strictObject({ feed: FeedSchema, since: FeedCursorSchema.optional() });
export type FeedSubscribeRequest = z.infer<typeof FeedSubscribeRequestSchema>;
export const FeedUnsubscribeRequestSchema = z.strictObject({ feed: FeedSchema });
export type FeedUnsubscribeRequest = z.infer<typeof FeedUnsubscribeRequestSchema>;
export const FeedSubscribeAckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), ...FeedPageShape }),
  z.object({ ok: z.literal(false), error: ApiErrorSchema }),
]);
export type FeedSubscribeAck = z.infer<typeof FeedSubscribeAckSchema>;
/** The payload of `feed:jobs`. */
export const FeedJobsSchema = z.object(FeedUpdateShape);
export type FeedJobs = z.infer<typeof FeedJobsSchema>;

// Plain WebSocket: `{type: "subscribe", id, feed, since?}` → `subscribed`, then live `jobs`; `unsubscribe`.
const RequestIdSchema = z.string().max(MAX_REQUEST_ID_LENGTH);
export const PlainFeedClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    id: RequestIdSchema.optional(),
    feed: FeedSchema,
    since: FeedCursorSchema.optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), id: RequestIdSchema.optional(), feed: FeedSchema }),
]);
export type PlainFeedClientMessage = z.infer<typeof PlainFeedClientMessageSchema>;
export const PlainFeedSubscribedSchema = z.object({
  type: z.literal('subscribed'),
  id: RequestIdSchema.optional(),
  feed: FeedSchema,
  ...FeedPageShape,
});
export type PlainFeedSubscribed = z.infer<typeof PlainFeedSubscribedSchema>;
export const PlainFeedJobsSchema = z.object({ type: z.literal('jobs'), ...FeedUpdateShape });
export type PlainFeedJobs = z.infer<typeof PlainFeedJobsSchema>;
export const PlainFeedUnsubscribedSchema = z.object({
  type: z.literal('unsubscribed'),
  id: RequestIdSchema.optional(),
  feed: FeedSchema,
});
export type PlainFeedUnsubscribed = z.infer<typeof PlainFeedUnsubscribedSchema>;

// SSE: `GET /feed?owner=…|tag=…|batch=…` (resuming after `Last-Event-ID` or `?since=`), `event: jobs`,
// `id: <cursor>`, `data: {feed, jobs, batch?}`.
export const FEED_STREAM_PATH = '/feed';
export const FEED_STREAM_EVENT = 'jobs';
/** The query of `GET /feed`: exactly one of owner, tag, batch, read as the feed it names. */
export const FeedStreamQuerySchema = z
  .strictObject({
    owner: z.string().min(1).max(200).optional(),
    tag: JobTagSchema.optional(),
    batch: BatchIdSchema.optional(),
    since: FeedCursorSchema.optional(),
  })
  .refine((query) => [query.owner, query.tag, query.batch].filter((name) => name !== undefined).length === 1, {
    message: 'must name exactly one of owner, tag, batch',
  })
  .transform(({ since, ...feed }) => ({ feed: FeedSchema.parse(feed), ...(since !== undefined && { since }) }));
export type FeedStreamQuery = z.infer<typeof FeedStreamQuerySchema>;
export const FeedStreamDataSchema = z.object({
  feed: FeedSchema,
  jobs: z.array(JobSnapshotSchema),
  batch: BatchSnapshotSchema.optional(),
});
export type FeedStreamData = z.infer<typeof FeedStreamDataSchema>;
