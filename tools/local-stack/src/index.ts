export * from './app-processes';
export * from './free-port';
export * from './local-stack';
export * from './managed-process';
export * from './nginx-load-balancer';
export * from './redis-cluster';
export * from './redis-server';
export * from './debian-package';
