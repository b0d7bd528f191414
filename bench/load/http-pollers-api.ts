import type { MeasureWindow } from '../metrics/event-stream';

/** What the orchestrator can ask of an HTTP-pollers load process (http-pollers.ts): baseline D. */
export interface HttpPollersApi {
  /** Polls `GET /jobs/:id` of every job at `hz` until the window ends, then reports what the window saw. */
  poll(params: PollParams): Promise<PollReport>;
}

export interface PollParams extends MeasureWindow {
  baseUrl: string;
  token: string;
  jobIds: string[];
  hz: number;
}

export interface PollReport {
  /** Requests due inside the window and answered. */
  polls: number;
  /** Answers that showed a newer snapshot (`lastSeq` grew): what a polling client calls an update. */
  updates: number;
  /** Events a newer snapshot jumped over: the client never saw them at all. */
  eventsSkipped: number;
  /** Age of each update when it arrived (receipt − the snapshot's `updatedAt`), an encoded HDR histogram. */
  staleness: string;
  failed: number;
  errors: string[];
}
