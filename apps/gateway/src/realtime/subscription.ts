/**
 * One thing a connection watches, as the delivery core keeps it. Today that is one job's events (JobRelay,
 * keyed by the job id); another kind (a feed of many jobs) is another implementation with a key of its own
 * shape, which no job id can take (job ids are only `A-Z a-z 0-9 _ -`).
 */
export interface Subscription {
  /** What it is of, unique within its connection: a newer subscription of the same key replaces it. */
  readonly key: string;
  /** False once it has ended: closed, or finished after its last event. */
  readonly isOpen: boolean;
  /** Ends it: it leaves the live feed and delivers nothing more. Closing it again does nothing. */
  close(): void;
}
