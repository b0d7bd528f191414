import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { readLegacySpellings } from './legacy-spellings';

/**
 * Variables that may hold a secret, and so may instead name a file that holds it: `<NAME>_FILE`, the
 * Docker secrets convention (docker-compose.yml's gateways read JWT_SECRET_FILE).
 */
export const SECRET_VARIABLES = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'WATCH_TOKEN_SECRET', 'REDIS_URL'] as const;

/** Validates the environment once, at boot, into a typed config. */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<Schema> {
  // An empty variable means "not set", as it does in docker compose files and shells.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const problems = readSecretFiles(present);
  readLegacySpellings(present, new Set(variablesOf(schema)));
  const parsed = schema.safeParse(present);
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new ConfigError([
    ...problems,
    ...(parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
  ]);
}

/** The variables an environment schema reads: its object's keys, under any refinements and transforms. */
export function variablesOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return variablesOf(schema.in as z.ZodType);
  return [];
}

/** Puts each `<NAME>_FILE`'s content in `<NAME>`; answers what went wrong, by variable. */
function readSecretFiles(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    const path = env[fileVariable];
    if (path === undefined) continue;
    delete env[fileVariable];
    if (env[name] !== undefined) {
      problems.push(`${fileVariable}: set ${name} or ${fileVariable}, not both`);
      continue;
    }
    try {
      // The line break that `echo` and editors leave at the end is not part of the secret.
      const value = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
      if (value === '') problems.push(`${fileVariable}: ${path} is empty`);
      else env[name] = value;
    } catch (error) {
      problems.push(`${fileVariable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  return problems;
}
