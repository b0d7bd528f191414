import { isBareNumber, parseDuration } from './duration';

/**
 * Duration variables as they were spelled before every duration took a unit and read a bare number as
 * milliseconds. Each old spelling still means what it meant, with a deprecation warning, so that no deployed
 * configuration changes meaning.
 */

/** Renamed, for no unit in a name: the old name is still read, with the same meaning (a bare number is ms). */
export const RENAMED_VARIABLES: Readonly<Record<string, string>> = {
  SHUTDOWN_GRACE_MS: 'SHUTDOWN_GRACE',
  WORKER_LOCK_MS: 'WORKER_LOCK',
  WORKER_STALLED_INTERVAL_MS: 'WORKER_STALLED_INTERVAL',
};

/** Variables whose bare numbers were seconds: they still are, in these variables only. */
export const BARE_SECONDS_VARIABLES: readonly string[] = [
  'JOB_TTL',
  'JOB_MAX_AGE',
  'JOB_TIMEOUT_MAX',
  'JOB_TYPE_TTL',
  'JWT_CLOCK_SKEW',
  'WATCH_TOKEN_TTL',
];

/** Deprecation warnings not yet taken, by code; and the codes already taken, so each is logged once. */
const pending = new Map<string, string>();
const taken = new Set<string>();

function deprecate(code: string, message: string): void {
  if (!taken.has(code) && !pending.has(code)) pending.set(code, message);
}

/**
 * The deprecation warnings of the configuration read so far, each once per process, for the process to log
 * with its own logger (the logger is made from the configuration, so it cannot exist while it is read).
 */
export function takeDeprecationWarnings(): string[] {
  const messages = [...pending.values()];
  for (const code of pending.keys()) taken.add(code);
  pending.clear();
  return messages;
}

/** Rewrites the old spellings of the variables a schema reads (`known`) in `env` into the current ones, and warns about each. */
export function readLegacySpellings(env: Record<string, string | undefined>, known: ReadonlySet<string>): void {
  for (const [oldName, name] of Object.entries(RENAMED_VARIABLES)) {
    const value = env[oldName];
    if (value === undefined || !known.has(name)) continue;
    delete env[oldName];
    // Both: the new name was set on purpose, over an old one left in a shared block (compose's x-app-env).
    if (env[name] !== undefined) {
      deprecate(oldName, `${oldName} is deprecated, and ignored: ${name}, its new name, is set too`);
      continue;
    }
    env[name] = value;
    deprecate(oldName, `${oldName} is deprecated: name it ${name} (the same value means the same)`);
  }
  for (const name of BARE_SECONDS_VARIABLES) {
    const value = env[name];
    if (value === undefined || !known.has(name) || !isBareNumber(value)) continue;
    env[name] = `${parseDuration(value, 's')}ms`;
    deprecate(
      `${name}_BARE_SECONDS`,
      `${name}=${value}: read as ${value} seconds, as before, but a bare number means milliseconds in every other ` +
        `duration; write the unit (${value.trim()}s)`,
    );
  }
}
