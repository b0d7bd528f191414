export * from './job-type';
export * from './job-type-registry';
export { demoStepsJob } from './types/demo-steps.job';
export { hashSha256Job } from './types/hash-sha256.job';
export { textWordCountJob } from './types/text-wordcount.job';
