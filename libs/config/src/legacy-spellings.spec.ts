import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { duration } from './duration';
import { loadConfig } from './load-config';

/** Each test uses variables of its own: a process warns about a spelling once, whichever test loads it first. */
describe('old spellings of duration variables', () => {
  afterEach(() => vi.restoreAllMocks());

  function warnings(): { messages: string[]; codes: string[] } {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const calls = (): Array<[string, { type: string; code: string }]> =>
      spy.mock.calls as unknown as Array<[string, { type: string; code: string }]>;
    return {
      get messages() {
        return calls().map(([message]) => message);
      },
      get codes() {
        return calls().map(([, options]) => `${options.type} ${options.code}`);
      },
    };
  }

  it('reads a renamed variable by its old name, with the same meaning, and warns once', () => {
    const schema = z.object({ WORKER_LOCK: duration.default(30_000) });
    const warned = warnings();
    expect(loadConfig(schema, { WORKER_LOCK_MS: '4000' }).WORKER_LOCK).toBe(4000);
    expect(loadConfig(schema, { WORKER_LOCK_MS: '4s' }).WORKER_LOCK).toBe(4000);
    expect(warned.codes).toEqual(['DeprecationWarning JOBCAST_WORKER_LOCK_MS']);
    expect(warned.messages[0]).toBe(
      'WORKER_LOCK_MS is deprecated: name it WORKER_LOCK (the same value means the same)',
    );
    expect(loadConfig(schema, { WORKER_LOCK: '4000' }).WORKER_LOCK).toBe(4000);
  });

  it('refuses a renamed variable given under both names', () => {
    const schema = z.object({ WORKER_STALLED_INTERVAL: duration.default(30_000) });
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(() => loadConfig(schema, { WORKER_STALLED_INTERVAL: '2s', WORKER_STALLED_INTERVAL_MS: '2000' })).toThrow(
      new ConfigError([
        'WORKER_STALLED_INTERVAL_MS: set WORKER_STALLED_INTERVAL (its new name) or WORKER_STALLED_INTERVAL_MS, not both',
      ]),
    );
  });

  it('leaves an old name alone in a process that does not read the variable', () => {
    const schema = z.object({ PORT: z.string().optional() });
    const warned = warnings();
    expect(loadConfig(schema, { SHUTDOWN_GRACE_MS: '1000', JOB_TTL: '60' })).toEqual({});
    expect(warned.codes).toEqual([]);
  });

  it('reads a bare number as seconds in the variables where it always meant seconds, and warns once', () => {
    const schema = z.object({ JOB_TTL: duration.default(86_400_000), JWT_CLOCK_SKEW: duration.default(30_000) });
    const warned = warnings();
    expect(loadConfig(schema, { JOB_TTL: '3600', JWT_CLOCK_SKEW: '5' })).toEqual({
      JOB_TTL: 3_600_000,
      JWT_CLOCK_SKEW: 5000,
    });
    expect(loadConfig(schema, { JOB_TTL: '60' }).JOB_TTL).toBe(60_000);
    expect(warned.codes).toEqual([
      'DeprecationWarning JOBCAST_JOB_TTL_BARE_SECONDS',
      'DeprecationWarning JOBCAST_JWT_CLOCK_SKEW_BARE_SECONDS',
    ]);
    expect(warned.messages[0]).toBe(
      'JOB_TTL=3600: read as 3600 seconds, as before, but a bare number means milliseconds in every other duration; write the unit (3600s)',
    );
    // With a unit, there is nothing to guess and nothing to warn about.
    expect(loadConfig(schema, { JOB_TTL: '250ms', JWT_CLOCK_SKEW: '1m' })).toEqual({
      JOB_TTL: 250,
      JWT_CLOCK_SKEW: 60_000,
    });
    expect(warned.codes).toHaveLength(2);
  });

  it('finds the variables of a schema under its refinements and transforms', () => {
    const schema = z
      .object({ WATCH_TOKEN_TTL: duration.default(900_000) })
      .refine(() => true)
      .transform((env) => ({ ...env, extra: 1 }));
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(loadConfig(schema, { WATCH_TOKEN_TTL: '60' })).toEqual({ WATCH_TOKEN_TTL: 60_000, extra: 1 });
  });
});
