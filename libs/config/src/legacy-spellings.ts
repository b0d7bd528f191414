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

const warned = new Set<string>();

/** A deprecation warning on stderr (Node's `DeprecationWarning`), once per process and spelling. */
function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'DeprecationWarning', code });
}

/**
 * Rewrites the old spellings of the variables a schema reads (`known`) in `env` into the current ones, and
 * warns about each; answers what cannot be read, by variable.
 */
export function readLegacySpellings(env: Record<string, string | undefined>, known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [oldName, name] of Object.entries(RENAMED_VARIABLES)) {
    const value = env[oldName];
    if (value === undefined || !known.has(name)) continue;
    delete env[oldName];
    if (env[name] !== undefined) {
      problems.push(`${oldName}: set ${name} (its new name) or ${oldName}, not both`);
      continue;
    }
    env[name] = value;
    warnOnce(`JOBCAST_${oldName}`, `${oldName} is deprecated: name it ${name} (the same value means the same)`);
  }
  for (const name of BARE_SECONDS_VARIABLES) {
    const value = env[name];
    if (value === undefined || !known.has(name) || !isBareNumber(value)) continue;
    env[name] = `${parseDuration(value, 's')}ms`;
    warnOnce(
      `JOBCAST_${name}_BARE_SECONDS`,
      `${name}=${value}: read as ${value} seconds, as before, but a bare number means milliseconds in every other ` +
        `duration; write the unit (${value.trim()}s)`,
    );
  }
  return problems;
}
