/** Injection tokens for values that are not classes. */
export const REDIS = Symbol('REDIS');
export const LOGGER = Symbol('LOGGER');
