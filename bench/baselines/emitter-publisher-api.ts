/** What the orchestrator can ask of baseline B's publisher process (emitter-publisher.ts). */
export interface EmitterPublisherApi {
  connect(params: { redisUrl: string }): Promise<void>;
  /** Starts a demo.steps-like loop per job: sleep `intervalMs`, emit one progress event, `steps` times. */
  start(params: { jobs: PublishedJob[] }): Promise<void>;
  /** Stops every loop and emits each job's terminal `completed` event. */
  finish(params: Record<string, never>): Promise<void>;
}

export interface PublishedJob {
  jobId: string;
  intervalMs: number;
  steps: number;
}
