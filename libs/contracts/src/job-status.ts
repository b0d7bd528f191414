/** Every status a job's snapshot can have. */
export const JOB_STATUSES = ['queued', 'active', 'retrying', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * The statuses a job ends in, each set by the event of the same name (see snapshotChangeFor); once a job has
 * one, its log takes no more events. Every check of "has this job ended" reads this list, the job log's Lua
 * included.
 */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminalStatus(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
