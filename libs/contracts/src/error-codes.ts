/**
 * Every error code Jobcast gives: in an HTTP answer, an ack, an `error` message, a disconnect reason, or a
 * `failed` event's `error.code`. docs/protocol.md's "Error codes" documents each (error-codes.spec.ts checks).
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNKNOWN_JOB_TYPE: 'UNKNOWN_JOB_TYPE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** A valid token without the right to do this (a missing scope; a watch token asked to submit or cancel). */
  FORBIDDEN: 'FORBIDDEN',
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  JOB_FINISHED: 'JOB_FINISHED',
  /** A batch that does not exist, or is not the caller's (answered alike, as for jobs). */
  BATCH_NOT_FOUND: 'BATCH_NOT_FOUND',
  NOT_FOUND: 'NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** A user has SSE_MAX_STREAMS_PER_USER event streams open on the gateway already. */
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  /** A user has MAX_ACTIVE_JOBS_PER_USER jobs queued or running already. */
  TOO_MANY_ACTIVE_JOBS: 'TOO_MANY_ACTIVE_JOBS',
  /** A subscribe was overtaken by a newer subscribe or an unsubscribe of the same job before it completed. */
  SUBSCRIPTION_CLOSED: 'SUBSCRIPTION_CLOSED',
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** A disconnect reason: the connection's token expired (past JWT_CLOCK_SKEW). */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** Handshake refusals of a socket (Socket.IO's engine-level message, the plain WebSocket's HTTP answer). */
  FORBIDDEN_ORIGIN: 'FORBIDDEN_ORIGIN',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  /** Only as `failed`'s `error.code`: the last attempt ran longer than its type's timeout. */
  JOB_TIMEOUT: 'JOB_TIMEOUT',
  /** Only as `failed`'s `error.code`: an external job's service stopped renewing its lease. */
  LEASE_EXPIRED: 'LEASE_EXPIRED',
  /** Only as `failed`'s `error.code`: the job's workers stopped mid-job too often (BullMQ's stalled limit). */
  STALLED: 'STALLED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
