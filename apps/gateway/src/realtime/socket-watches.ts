import type { JobWatch } from './job-watch';

/**
 * A socket's watches, by job id. Most sockets watch one job, so one watch is kept as it is and a Map is only
 * made for a second: at tens of thousands of idle sockets, an empty Map each is a noticeable share of a
 * socket's memory. The functions answer the new value; the socket keeps it.
 */
export type SocketWatches = JobWatch | Map<string, JobWatch> | undefined;

export function watchOf(watches: SocketWatches, jobId: string): JobWatch | undefined {
  if (watches instanceof Map) return watches.get(jobId);
  return watches?.jobId === jobId ? watches : undefined;
}

export function countWatches(watches: SocketWatches): number {
  if (watches instanceof Map) return watches.size;
  return watches ? 1 : 0;
}

export function allWatches(watches: SocketWatches): JobWatch[] {
  if (watches instanceof Map) return [...watches.values()];
  return watches ? [watches] : [];
}

/** Adds the watch, replacing one of the same job. */
export function withWatch(watches: SocketWatches, watch: JobWatch): SocketWatches {
  if (watches instanceof Map) return watches.set(watch.jobId, watch);
  if (!watches || watches.jobId === watch.jobId) return watch;
  return new Map([
    [watches.jobId, watches],
    [watch.jobId, watch],
  ]);
}

/** Removes the job's watch. */
export function withoutWatch(watches: SocketWatches, jobId: string): SocketWatches {
  if (!watchOf(watches, jobId)) return watches;
  if (!(watches instanceof Map)) return undefined;
  watches.delete(jobId);
  return watches.size === 0 ? undefined : watches;
}
