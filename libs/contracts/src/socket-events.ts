/** Socket.IO's names and notices: no schemas, so that clients can use them without zod. */

export const JOBS_NAMESPACE = '/jobs';

export const SocketEvent = {
  SUBSCRIBE: 'subscribe',
  UNSUBSCRIBE: 'unsubscribe',
  JOB_EVENT: 'job:event',
  JOB_EVENTS: 'job:events',
  /** A feed's live update (`FeedJobs`). */
  FEED_JOBS: 'feed:jobs',
  DISCONNECT_NOTICE: 'gateway:disconnect',
} as const;

/**
 * The handshake's `auth`. `batch: true` opts in to `job:events`: when several events of one job reach the
 * gateway together (a burst, or a gateway catching up under load), they go out as one packet instead of
 * one packet each, which costs both ends less per event. Clients that do not opt in get only `job:event`.
 */
export interface SocketAuth {
  token: string;
  batch?: boolean;
}

/**
 * Why the gateway is about to drop a socket on purpose; the client should reconnect and resume, after
 * TOKEN_EXPIRED with a fresh token.
 */
export const DisconnectReason = {
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** The connection's token has expired (plus the allowed clock skew): live access ends with it. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/**
 * Sent just before the gateway disconnects a socket, because Socket.IO's own disconnect carries no reason.
 * Clients that ignore it lose nothing, they see a plain disconnect.
 */
export interface DisconnectNotice {
  reason: DisconnectReason;
  message: string;
}
