export * from './config-error';
export * from './duration';
export * from './load-config';
export * from './shared-env';
