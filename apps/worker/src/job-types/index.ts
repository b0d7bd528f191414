import { demoStepsJob } from './demo-steps.job';
import { demoTextJob } from './demo-text.job';
import { hashSha256Job } from './hash-sha256.job';
import { textWordCountJob } from './text-wordcount.job';

/** The job types the worker app ships with. Your own run in your own project, with `@jobcast/worker`. */
export const SHIPPED_JOB_TYPES = [demoStepsJob, demoTextJob, hashSha256Job, textWordCountJob];
