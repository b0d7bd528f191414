import type { ApiError } from './api-error';
import type { Feed, PlainFeedJobs, PlainFeedSubscribed, PlainFeedUnsubscribed } from './feed';
import type { JobEvent } from './job-event';
import type { JobSnapshot } from './job-snapshot';

/** `GET /ws`: the plain WebSocket endpoint, for clients without a Socket.IO library. */
export const PLAIN_WEBSOCKET_PATH = '/ws';
/** The subprotocol it speaks; a client may offer it, and one that offers others only is refused. */
export const PLAIN_WEBSOCKET_PROTOCOL = 'jobcast.v1';
/** At most this long, the client's `id` of a request, echoed in the answer. */
export const MAX_REQUEST_ID_LENGTH = 64;

/**
 * Close codes. The rule a client needs: 4000–4399, reconnect (to any gateway) and resume with `afterSeq`;
 * 4400–4499, do not reconnect before fixing the cause (a new token).
 */
export const PlainCloseCode = {
  SHUTTING_DOWN: 4000,
  SLOW_CONSUMER: 4001,
  UNAUTHORIZED: 4401,
  /** The token has expired: reconnect with a fresh one, and resume. */
  TOKEN_EXPIRED: 4401,
  AUTH_TIMEOUT: 4408,
  /** RFC 6455's "message too big": a frame over SOCKET_MAX_MESSAGE (sent by the WebSocket layer itself). */
  MESSAGE_TOO_BIG: 1009,
} as const;
export type PlainCloseCode = (typeof PlainCloseCode)[keyof typeof PlainCloseCode];

/** Whether a client closed with this code should reconnect and resume (rather than stop, or fix something first). */
export function shouldResumeAfterClose(code: number): boolean {
  return code < 4400 || code >= 4500;
}

/** Why the gateway closes a plain WebSocket on purpose, in the `disconnect` message that precedes the close. */
export const PlainDisconnectReason = {
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  AUTH_TIMEOUT: 'AUTH_TIMEOUT',
} as const satisfies Record<string, keyof typeof PlainCloseCode>;
export type PlainDisconnectReason = (typeof PlainDisconnectReason)[keyof typeof PlainDisconnectReason];

/** What the gateway sends. */
export type PlainServerMessage =
  | { type: 'welcome'; gateway: string; heartbeatMs: number }
  | {
      type: 'subscribed';
      id?: string;
      jobId: string;
      snapshot: JobSnapshot;
      events: JobEvent[];
      reset?: true;
      /** The backlog goes on past `events`: the rest follows as `events` messages. */
      more?: true;
    }
  | { type: 'unsubscribed'; id?: string; jobId: string }
  | { type: 'pong'; id?: string }
  | { type: 'events'; jobId: string; events: JobEvent[] }
  | { type: 'error'; id?: string; jobId?: string; feed?: Feed; error: ApiError }
  | { type: 'disconnect'; reason: PlainDisconnectReason; message: string }
  | PlainFeedSubscribed
  | PlainFeedJobs
  | PlainFeedUnsubscribed;
