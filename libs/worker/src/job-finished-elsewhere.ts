/** The job finished elsewhere (cancelled, say) while this worker was still running it. */
export class JobFinishedElsewhere extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} already finished`);
    this.name = 'JobFinishedElsewhere';
  }
}
