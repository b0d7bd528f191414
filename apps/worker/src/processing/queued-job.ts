/** What the gateway puts on the BullMQ queue for each job. */
export interface QueuedJobData {
  jobId: string;
  type: string;
  payload: unknown;
}

/** Abort reasons the worker gives a running handler; anything else aborting it is a timeout. */
export const AbortReason = {
  CANCELLED: 'JOBCAST_CANCELLED',
  SHUTDOWN: 'JOBCAST_SHUTDOWN',
} as const;
