/**
 * The protocol's names, codes and types with no schemas: what a client needs at run time, without zod
 * (`@jobcast/contracts/protocol`). The schemas that check them are in the package's main entry.
 */
export * from './error-codes';
export * from './plain-websocket-protocol';
export * from './socket-events';
export * from './job-status';
export * from './snapshot-change';
export * from './terminal-events';
export type { ApiError, ApiErrorBody } from './api-error';
export type { JobEvent, JobEventType } from './job-event';
export type { JobSnapshot } from './job-snapshot';
export type { SubscribeAck, SubscribeRequest, UnsubscribeAck } from './socket';
export type { BatchCounts, BatchSnapshot } from './batch-snapshot';
export type { Feed, FeedJobs, FeedStreamData, FeedSubscribeAck, FeedSubscribeRequest } from './feed';
