import type { ErrorCode } from '@jobcast/contracts';

/**
 * Why an append was refused: the job is unknown or has ended, answered with that code; or, creating a job,
 * its new random id is taken, which reaches no one as a code of its own.
 */
export class JobLogAppendError extends Error {
  constructor(readonly reason: typeof ErrorCode.JOB_NOT_FOUND | typeof ErrorCode.JOB_FINISHED | 'JOB_EXISTS') {
    super(reason);
    this.name = 'JobLogAppendError';
  }
}
