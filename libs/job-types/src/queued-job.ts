/** What a gateway puts on a job type's BullMQ queue for each job, and what its workers take off it. */
export interface QueuedJobData {
  jobId: string;
  type: string;
  payload: unknown;
}
