/** The room a baseline server puts a job's watchers in, and its publisher emits to. */
export function jobRoom(jobId: string): string {
  return `job:${jobId}`;
}
