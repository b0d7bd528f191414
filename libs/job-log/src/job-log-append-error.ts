import type { ErrorCode } from '@jobcast/contracts';

/**
 * Why an append was refused: the job is unknown or has ended, or an output event would pass the job's output
 * bounds or is not where its stream ends, each answered with that code; or, creating a job, its new random id
 * is taken, which reaches no one as a code of its own.
 */
export class JobLogAppendError extends Error {
  constructor(
    readonly reason:
      | typeof ErrorCode.JOB_NOT_FOUND
      | typeof ErrorCode.JOB_FINISHED
      | typeof ErrorCode.OUTPUT_TOO_LARGE
      | typeof ErrorCode.OUTPUT_OFFSET_MISMATCH
      | 'JOB_EXISTS',
    /** For OUTPUT_OFFSET_MISMATCH: the stream, and where it ends (the offset its next event must have). */
    readonly output?: { key: string; expected: number },
  ) {
    super(reason);
    this.name = 'JobLogAppendError';
  }
}
