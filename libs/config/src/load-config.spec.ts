import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { durationMs } from './duration';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  const schema = z.object({ PORT: z.coerce.number().int(), TTL: durationMs('s').default(60_000) });

  it('parses durations with units and bare numbers in the given unit', () => {
    expect(loadConfig(schema, { PORT: '1', TTL: '24h' }).TTL).toBe(86_400_000);
    expect(loadConfig(schema, { PORT: '1', TTL: '90' }).TTL).toBe(90_000);
    expect(loadConfig(schema, { PORT: '1', TTL: '250ms' }).TTL).toBe(250);
    expect(loadConfig(schema, { PORT: '1', TTL: '' }).TTL).toBe(60_000);
  });

  it('names every bad variable', () => {
    expect(() => loadConfig(schema, { PORT: 'x', TTL: 'soon' })).toThrow(ConfigError);
    try {
      loadConfig(schema, { PORT: 'x', TTL: 'soon' });
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.split(':')[0])).toEqual(['PORT', 'TTL']);
    }
  });
});
