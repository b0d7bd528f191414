export * from './batch-record';
export * from './feed-cursor';
export * from './feed-env';
export * from './feed-touch-pacer';
export * from './feed-update';
export * from './feeds-of-job';
export * from './job-feeds';
export * from './job-tag-index';
