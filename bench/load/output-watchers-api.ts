/** What the orchestrator can ask of an output-watchers load process (output-watchers.ts): S5. */
export interface OutputWatchersApi {
  /** Opens a socket per watcher and subscribes it to its job; resolves once every one is subscribed. */
  watch(params: OutputWatchParams): Promise<void>;
  /** The window to measure: words written from `startAt` until `endAt` (ms since epoch). */
  measure(window: { startAt: number; endAt: number }): Promise<void>;
  /** Waits for every watcher's terminal event (or the deadline), then reports what the window saw. */
  report(params: { deadline: number }): Promise<OutputWatchReport>;
}

export interface OutputWatchParams {
  url: string;
  token: string;
  /** One entry per watcher: the job it watches. */
  jobIds: string[];
}

export interface OutputWatchReport {
  /** Chunks (words) received whose write time is in the window, over every watcher. */
  chunksInWindow: number;
  /** Frames (Socket.IO packets) that carried any of the job's events in the window. */
  framesInWindow: number;
  /** write() → the watcher's frame, in tenths of a millisecond: an encoded HDR histogram. */
  latency: string;
  /** Events that carried text (`output` or `log`) logged in the window, over every watcher. */
  textEventsInWindow: number;
  /** Events missing or repeated by seq (a conflated progress event stands for those it replaced). */
  seqErrors: number;
  /** Output events whose offset was not where the watcher's text ended: lost or repeated text. */
  offsetErrors: number;
  /** Watchers that never saw their job's terminal event. */
  unfinished: number;
}
