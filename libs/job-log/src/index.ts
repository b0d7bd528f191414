export * from './create-job-log';
export * from './job-cancellation';
export * from './job-event-log';
export * from './job-log-append-error';
export * from './snapshot-codec';
