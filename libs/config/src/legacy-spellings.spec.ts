import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duration } from './duration';
import { takeDeprecationWarnings } from './legacy-spellings';
import { loadConfig } from './load-config';

/** Each test uses variables of its own: a process warns about a spelling once, whichever test loads it first. */
describe('old spellings of duration variables', () => {
  beforeEach(() => void takeDeprecationWarnings());

  it('reads a renamed variable by its old name, with the same meaning, and warns once', () => {
    const schema = z.object({ WORKER_LOCK: duration.default(30_000) });
    expect(loadConfig(schema, { WORKER_LOCK_MS: '4000' }).WORKER_LOCK).toBe(4000);
    expect(loadConfig(schema, { WORKER_LOCK_MS: '4s' }).WORKER_LOCK).toBe(4000);
    expect(takeDeprecationWarnings()).toEqual([
      'WORKER_LOCK_MS is deprecated: name it WORKER_LOCK (the same value means the same)',
    ]);
    expect(loadConfig(schema, { WORKER_LOCK_MS: '4000' }).WORKER_LOCK).toBe(4000);
    expect(takeDeprecationWarnings()).toEqual([]);
    expect(loadConfig(schema, { WORKER_LOCK: '4000' }).WORKER_LOCK).toBe(4000);
  });

  it('takes the new name over the old one when both are set, and says the old one is ignored', () => {
    const schema = z.object({ WORKER_STALLED_INTERVAL: duration.default(30_000) });
    expect(
      loadConfig(schema, { WORKER_STALLED_INTERVAL: '2s', WORKER_STALLED_INTERVAL_MS: '5000' }).WORKER_STALLED_INTERVAL,
    ).toBe(2000);
    expect(takeDeprecationWarnings()).toEqual([
      'WORKER_STALLED_INTERVAL_MS is deprecated, and ignored: WORKER_STALLED_INTERVAL, its new name, is set too',
    ]);
  });

  it('leaves an old spelling alone in a process that does not read the variable', () => {
    const schema = z.object({ PORT: z.string().optional() });
    expect(loadConfig(schema, { SHUTDOWN_GRACE_MS: '1000', JOB_TTL: '60' })).toEqual({});
    expect(takeDeprecationWarnings()).toEqual([]);
  });

  it('reads a bare number as seconds in the variables where it always meant seconds, and warns once', () => {
    const schema = z.object({ JOB_TTL: duration.default(86_400_000), JWT_CLOCK_SKEW: duration.default(30_000) });
    expect(loadConfig(schema, { JOB_TTL: '3600', JWT_CLOCK_SKEW: '5' })).toEqual({
      JOB_TTL: 3_600_000,
      JWT_CLOCK_SKEW: 5000,
    });
    expect(loadConfig(schema, { JOB_TTL: '60' }).JOB_TTL).toBe(60_000);
    expect(takeDeprecationWarnings()).toEqual([
      'JOB_TTL=3600: read as 3600 seconds, as before, but a bare number means milliseconds in every other duration; write the unit (3600s)',
      'JWT_CLOCK_SKEW=5: read as 5 seconds, as before, but a bare number means milliseconds in every other duration; write the unit (5s)',
    ]);
    // With a unit, there is nothing to guess and nothing to warn about.
    expect(loadConfig(schema, { JOB_TTL: '250ms', JWT_CLOCK_SKEW: '1m' })).toEqual({
      JOB_TTL: 250,
      JWT_CLOCK_SKEW: 60_000,
    });
  });

  it('finds the variables of a schema under its refinements and transforms', () => {
    const schema = z
      .object({ WATCH_TOKEN_TTL: duration.default(900_000) })
      .refine(() => true)
      .transform((env) => ({ ...env, extra: 1 }));
    expect(loadConfig(schema, { WATCH_TOKEN_TTL: '60' })).toEqual({ WATCH_TOKEN_TTL: 60_000, extra: 1 });
    expect(takeDeprecationWarnings()).toHaveLength(1);
  });
});
