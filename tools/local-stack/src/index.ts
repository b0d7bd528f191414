export * from './app-processes';
export * from './free-port';
export * from './local-stack';
export * from './managed-process';
export * from './redis-server';
