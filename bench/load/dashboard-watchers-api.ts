/** What the orchestrator can ask of a dashboard-watchers load process (dashboard-watchers.ts): S6. */
export interface DashboardWatchersApi {
  /** Opens a plain WebSocket per watcher and subscribes it; resolves once every watcher is subscribed. */
  watch(params: DashboardWatchParams): Promise<void>;
  /** The window to measure: updates received from `startAt` until `endAt` (ms since epoch). */
  measure(window: { startAt: number; endAt: number }): Promise<void>;
  /** Closes every watcher and reports what the window saw. */
  report(params: Record<string, never>): Promise<DashboardWatchReport>;
}

export type DashboardMode = 'feed' | 'per-job';

export interface DashboardWatchParams {
  url: string;
  token: string;
  watchers: number;
  mode: DashboardMode;
  batchId: string;
  /** The batch's jobs: each watcher subscribes to every one, one by one, in `per-job` mode. */
  jobIds: string[];
}

export interface DashboardWatchReport {
  /** Job updates received in the window over every watcher: a job of a feed update, or a job's event. */
  updatesInWindow: number;
  /** WebSocket messages that carried them. */
  messagesInWindow: number;
  /** Snapshot `updatedAt` (feed) or event `at` (per-job) → receipt, in ms: an encoded HDR histogram. */
  latency: string;
  /** Watchers whose socket closed before the report. */
  closed: number;
}
