import { z } from 'zod';
import { ApiErrorSchema } from './api-error';
import { JobEventSchema, type JobEvent } from './job-event';
import { JobIdSchema } from './job-id';
import { JobSnapshotSchema } from './job-snapshot';
import type { FeedJobs, FeedSubscribeAck, FeedSubscribeRequest, FeedUnsubscribeRequest } from './feed';
import type { DisconnectNotice } from './socket-events';

export const SubscribeRequestSchema = z.strictObject({
  jobId: JobIdSchema,
  afterSeq: z.number().int().nonnegative().optional(),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequestSchema>;

export const UnsubscribeRequestSchema = z.strictObject({ jobId: JobIdSchema });
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequestSchema>;

export const ErrorAckSchema = z.object({ ok: z.literal(false), error: ApiErrorSchema });
export type ErrorAck = z.infer<typeof ErrorAckSchema>;

export const SubscribeAckSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    snapshot: JobSnapshotSchema,
    events: z.array(JobEventSchema),
    /** The log could not give every event after `afterSeq`: `events` is what it holds, the snapshot the truth. */
    reset: z.literal(true).optional(),
    /**
     * The backlog goes on past `events` (an answer carries one page of the log): the rest follows as events,
     * in seq order, before any later event. `snapshot` is the job as it is now, ahead of `events`.
     */
    more: z.literal(true).optional(),
  }),
  ErrorAckSchema,
]);
export type SubscribeAck = z.infer<typeof SubscribeAckSchema>;

export const UnsubscribeAckSchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true) }), ErrorAckSchema]);
export type UnsubscribeAck = z.infer<typeof UnsubscribeAckSchema>;

/** Events a client sends on the `/jobs` namespace, for `Server<ClientToServerEvents, ServerToClientEvents>`. */
export interface ClientToServerEvents {
  /** A job's (`jobId`) or a feed's (`feed`), answered by the ack of its kind. */
  subscribe: (
    request: SubscribeRequest | FeedSubscribeRequest,
    ack: (answer: SubscribeAck & FeedSubscribeAck) => void,
  ) => void;
  unsubscribe: (request: UnsubscribeRequest | FeedUnsubscribeRequest, ack: (answer: UnsubscribeAck) => void) => void;
}

/** Events the gateway pushes on the `/jobs` namespace. */
export interface ServerToClientEvents {
  'job:event': (event: JobEvent) => void;
  /** Only to sockets that opted in with `auth.batch`: consecutive events of one job, in seq order. */
  'job:events': (events: JobEvent[]) => void;
  /** A feed's live update. */
  'feed:jobs': (update: FeedJobs) => void;
  'gateway:disconnect': (notice: DisconnectNotice) => void;
}
