export * from './logger';
export * from './metrics-registry';
export * from './redis-reconnect-counter';
