/** Why an append was refused. */
export class JobLogAppendError extends Error {
  constructor(
    readonly reason: 'JOB_NOT_FOUND' | 'JOB_FINISHED' | 'JOB_EXISTS' | 'OUTPUT_TOO_LARGE' | 'OUTPUT_OFFSET_MISMATCH',
    /** For OUTPUT_OFFSET_MISMATCH: the stream, and where it ends (the offset its next event must have). */
    readonly output?: { key: string; expected: number },
  ) {
    super(reason);
    this.name = 'JobLogAppendError';
  }
}
