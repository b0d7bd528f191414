/** Why an append was refused. */
export class JobLogAppendError extends Error {
  constructor(readonly reason: 'JOB_NOT_FOUND' | 'JOB_FINISHED' | 'JOB_EXISTS') {
    super(reason);
    this.name = 'JobLogAppendError';
  }
}
