import { MAX_REGISTERED_JOB_TYPES } from './job-type-registration';

/** Registering more job types than MAX_REGISTERED_JOB_TYPES. */
export class TooManyJobTypesError extends Error {
  constructor() {
    super(`at most ${MAX_REGISTERED_JOB_TYPES} job types can be registered in one deployment`);
    this.name = 'TooManyJobTypesError';
  }
}
