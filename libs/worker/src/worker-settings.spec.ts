import { takeDeprecationWarnings } from '@jobcast/config';
import { describe, expect, it } from 'vitest';
import { workerOptionsFromEnv } from './worker-options-from-env';
import { resolveSettings } from './worker-settings';

describe("a worker's settings", () => {
  it('take durations in options as milliseconds, every one of them', () => {
    const settings = resolveSettings({ jobTypes: [], jobTtlMs: 5000, maxTimeoutMs: 250, lockMs: 1500 });
    expect(settings).toMatchObject({ JOB_TTL: 5000, JOB_TIMEOUT_MAX: 250, WORKER_LOCK: 1500 });
    expect(resolveSettings({ jobTypes: [] })).toMatchObject({ JOB_TTL: 86_400_000, WORKER_LOCK: 30_000 });
    expect(() => resolveSettings({ jobTypes: [], heartbeatMs: 10 })).toThrow(/heartbeatMs: must be at least 100ms/);
  });

  it('read from the environment as deployed configurations spell them, old spellings included', () => {
    takeDeprecationWarnings();
    expect(
      workerOptionsFromEnv({ JOB_TTL: '60', WORKER_LOCK_MS: '4000', SHUTDOWN_GRACE: '2s', WORKER_HEARTBEAT: '500' }),
    ).toMatchObject({ jobTtlMs: 60_000, lockMs: 4000, shutdownGraceMs: 2000, heartbeatMs: 500 });
    expect(takeDeprecationWarnings()).toHaveLength(2);
  });

  it('read OUTPUT_FLUSH_MS as a duration, though its name keeps the unit: a bare number is ms, a unit is taken', () => {
    expect(workerOptionsFromEnv({}).outputFlushMs).toBe(25);
    expect(workerOptionsFromEnv({ OUTPUT_FLUSH_MS: '40' }).outputFlushMs).toBe(40);
    expect(workerOptionsFromEnv({ OUTPUT_FLUSH_MS: '0.1s' }).outputFlushMs).toBe(100);
    expect(() => resolveSettings({ jobTypes: [], outputFlushMs: 0 })).toThrow(/outputFlushMs: must be at least 1ms/);
    expect(() => workerOptionsFromEnv({ OUTPUT_FLUSH_MS: '1m' })).toThrow(/OUTPUT_FLUSH_MS/);
  });
});
