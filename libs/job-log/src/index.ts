export * from './job-event-log';
export * from './snapshot-codec';
