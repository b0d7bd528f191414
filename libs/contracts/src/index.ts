export * from './api-error';
export * from './error-codes';
export * from './http';
export * from './job-event';
export * from './job-id';
export * from './job-snapshot';
export * from './json-limits';
export * from './socket';
