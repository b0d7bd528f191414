export { applyEvent } from './apply-event';
export { connect, type ConnectOptions } from './connect';
export { JobcastClient, type BaseConnectOptions, type ConnectionState, type StateListener } from './jobcast-client';
export { ClientErrorCode, JobcastError } from './jobcast-error';
export type { JobOutput } from './job-output';
export type { JobFeed, FeedOptions } from './job-feed';
export type { JobWatch, WatchOptions } from './job-watch';
export { JobcastHttp, type JobcastHttpOptions, type Parser } from './jobcast-http';
