/**
 * `@jobcast/worker`: run your own job types in your own Node project, streamed live to every Jobcast gateway.
 *
 *   import { createWorker, defineJobType, z } from '@jobcast/worker';
 */
export { createWorker, type JobcastWorker, type WorkerOptions } from './create-worker';
export {
  defineJobType,
  sleep,
  yieldToEventLoop,
  type JobContext,
  type JobType,
  type LogLevel,
  type OutputStream,
  type ProgressDetails,
} from './job-type';
export { OutputError } from './job-output';
export { workerOptionsFromEnv } from './worker-options-from-env';
export { z } from 'zod';
