export * from './config-error';
export * from './duration';
export * from './legacy-spellings';
export * from './load-config';
export * from './setting-schemas';
export * from './shared-env';
