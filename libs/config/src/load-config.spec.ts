import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duration } from './duration';
import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  const schema = z.object({ PORT: z.coerce.number().int(), TTL: duration.default(60_000) });

  it('parses durations, and takes an empty variable as not set', () => {
    expect(loadConfig(schema, { PORT: '1', TTL: '24h' }).TTL).toBe(86_400_000);
    expect(loadConfig(schema, { PORT: '1', TTL: '90' }).TTL).toBe(90);
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

  describe('<NAME>_FILE for secrets', () => {
    const secrets = z.object({ JWT_SECRET: z.string().min(32), REDIS_URL: z.string().optional() });

    function withFile(content: string, test: (path: string) => void): void {
      const dir = mkdtempSync(join(tmpdir(), 'jobcast-config-'));
      try {
        const path = join(dir, 'secret');
        writeFileSync(path, content);
        test(path);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('reads the secret from the file, without its trailing line break', () => {
      withFile('s'.repeat(40) + '\n', (path) => {
        expect(loadConfig(secrets, { JWT_SECRET_FILE: path })).toEqual({ JWT_SECRET: 's'.repeat(40) });
        expect(loadConfig(secrets, { JWT_SECRET: 'e'.repeat(40), REDIS_URL_FILE: path }).REDIS_URL).toBe(
          's'.repeat(40),
        );
        // An empty variable is not set, as everywhere else.
        expect(loadConfig(secrets, { JWT_SECRET: '', JWT_SECRET_FILE: path }).JWT_SECRET).toBe('s'.repeat(40));
      });
    });

    it('names the file variable when it is missing, empty, or given beside the variable', () => {
      const problems = (env: NodeJS.ProcessEnv): string[] => {
        try {
          loadConfig(secrets, env);
          return [];
        } catch (error) {
          return (error as ConfigError).problems;
        }
      };
      expect(problems({ JWT_SECRET_FILE: '/no/such/file' })).toEqual([
        'JWT_SECRET_FILE: cannot read /no/such/file (ENOENT)',
        'JWT_SECRET: Invalid input: expected string, received undefined',
      ]);
      withFile('\n', (path) =>
        expect(problems({ JWT_SECRET_FILE: path })[0]).toBe(`JWT_SECRET_FILE: ${path} is empty`),
      );
      withFile('s'.repeat(40), (path) =>
        expect(problems({ JWT_SECRET: 'e'.repeat(40), JWT_SECRET_FILE: path })).toEqual([
          'JWT_SECRET_FILE: set JWT_SECRET or JWT_SECRET_FILE, not both',
        ]),
      );
    });
  });
});
