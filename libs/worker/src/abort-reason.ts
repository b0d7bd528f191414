/** Abort reasons the worker gives a running handler; anything else aborting it is a timeout. */
export const AbortReason = {
  CANCELLED: 'JOBCAST_CANCELLED',
  SHUTDOWN: 'JOBCAST_SHUTDOWN',
} as const;
