import { z } from 'zod';
import { ApiErrorSchema } from './api-error';
import { JobEventSchema, type JobEvent } from './job-event';
import { JobIdSchema } from './job-id';
import { JobSnapshotSchema } from './job-snapshot';

export const JOBS_NAMESPACE = '/jobs';

export const SocketEvent = {
  SUBSCRIBE: 'subscribe',
  UNSUBSCRIBE: 'unsubscribe',
  JOB_EVENT: 'job:event',
  JOB_EVENTS: 'job:events',
  DISCONNECT_NOTICE: 'gateway:disconnect',
} as const;

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
  }),
  ErrorAckSchema,
]);
export type SubscribeAck = z.infer<typeof SubscribeAckSchema>;

export const UnsubscribeAckSchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true) }), ErrorAckSchema]);
export type UnsubscribeAck = z.infer<typeof UnsubscribeAckSchema>;

/**
 * The handshake's `auth`. `batch: true` opts in to `job:events`: when several events of one job reach the
 * gateway together (a burst, or a gateway catching up under load), they go out as one packet instead of
 * one packet each, which costs both ends less per event. Clients that do not opt in get only `job:event`.
 */
export interface SocketAuth {
  token: string;
  batch?: boolean;
}

/** Events a client sends on the `/jobs` namespace, for `Server<ClientToServerEvents, ServerToClientEvents>`. */
export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest, ack: (answer: UnsubscribeAck) => void) => void;
}

/** Why the gateway is about to drop a socket on purpose; the client should reconnect and resume. */
export const DisconnectReason = {
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/**
 * Sent just before the gateway disconnects a socket, because Socket.IO's own disconnect carries no reason.
 * An addition to DESIGN.md's protocol: clients that ignore it lose nothing, they see a plain disconnect.
 */
export interface DisconnectNotice {
  reason: DisconnectReason;
  message: string;
}

/** Events the gateway pushes on the `/jobs` namespace. */
export interface ServerToClientEvents {
  'job:event': (event: JobEvent) => void;
  /** Only to sockets that opted in with `auth.batch`: consecutive events of one job, in seq order. */
  'job:events': (events: JobEvent[]) => void;
  'gateway:disconnect': (notice: DisconnectNotice) => void;
}
