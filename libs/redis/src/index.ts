export * from './redis-config';
export * from './redis-connection';
export * from './redis-keys';
