export * from './job-type-directory';
export * from './job-type-name';
export * from './job-type-registration';
export * from './payload-schema';
export * from './payload-schema-error';
export * from './payload-validator';
export * from './queued-job';
export * from './too-many-job-types-error';
