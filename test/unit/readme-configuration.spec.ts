import { BARE_SECONDS_VARIABLES, loadConfig, RENAMED_VARIABLES } from '@jobcast/config';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { GatewayEnvSchema } from '../../apps/gateway/src/config/gateway-config';
import { WorkerAppEnvSchema } from '../../apps/worker/src/worker-app-env';
import { WorkerEnvSchema } from '../../libs/worker/src/worker-env';
import { LauncherEnvSchema } from '../../tools/local-stack/src/launcher-env';

// The schemas hold every default; the README's tables say them to people. This keeps the two the same.

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const PROTOCOL = readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8');

interface Reader {
  /** Each variable's schema. */
  fields: Record<string, z.ZodType>;
  /** Every setting as the process ends up with it when nothing is set (defaults computed from others included). */
  settled: Record<string, unknown>;
}

const workerSchema = WorkerEnvSchema.extend(WorkerAppEnvSchema.shape);
const READERS: Record<'gateway' | 'worker' | 'launcher', Reader> = {
  gateway: {
    fields: GatewayEnvSchema.in.shape,
    settled: loadConfig(GatewayEnvSchema, { JWT_SECRET: 's'.repeat(32) }),
  },
  worker: { fields: workerSchema.shape, settled: loadConfig(workerSchema, {}) },
  launcher: { fields: LauncherEnvSchema.shape, settled: loadConfig(LauncherEnvSchema, {}) },
};
const USED_BY: Record<string, Array<keyof typeof READERS>> = {
  both: ['gateway', 'worker'],
  gateway: ['gateway'],
  worker: ['worker'],
};

/** The body rows of the Markdown table whose header's first cell is `firstHeader`, as trimmed cells. */
function tableRows(markdown: string, firstHeader: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${firstHeader} `));
  expect(start, `a table headed "${firstHeader}"`).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The variable names in a cell: `JWT_ISSUER`, `JWT_AUDIENCE`. */
function variablesIn(cell: string): string[] {
  return [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map(([, name]) => name ?? '');
}

/**
 * Whether a documented default is the schema's. A literal (`24h`) must parse to what the variable is when not
 * set; a description (`—`, another variable, prose) must leave the field itself without a default, for the
 * code to fill in. `<hostname>` and `<PORT>` stand for this host's name and the PORT setting.
 */
function expectDefault(reader: Reader, name: string, cell: string): void {
  const field = reader.fields[name];
  if (!field) throw new Error(`${name} is in no schema that reads it`);
  const literal = /^`([^`]+)`$/.exec(cell)?.[1];
  const unset = field.safeParse(undefined);
  if (literal === undefined || /^[A-Z][A-Z0-9_]*$/.test(literal)) {
    const none = unset.success && (unset.data === undefined || (Array.isArray(unset.data) && unset.data.length === 0));
    expect({ name, cell, hasNoDefault: none || !unset.success }).toEqual({ name, cell, hasNoDefault: true });
    return;
  }
  const text = literal.replace('<hostname>', hostname()).replace('<PORT>', String(reader.settled.PORT));
  const documented = field.safeParse(text);
  expect({ name, cell, parses: documented.success }).toEqual({ name, cell, parses: true });
  expect({ name, default: documented.data }).toEqual({ name, default: reader.settled[name] });
}

describe("README's configuration tables", () => {
  const appRows = tableRows(README, 'variable');
  const launcherRows = tableRows(README, '`npm start` variable');

  it('document every variable the gateway, the worker and the launcher read, each for what reads it', () => {
    const documented = new Map<string, string[]>();
    for (const [variables = '', usedBy = ''] of appRows) {
      expect(USED_BY[usedBy], `"${usedBy}" in ${variables}`).toBeDefined();
      for (const name of variablesIn(variables)) documented.set(name, USED_BY[usedBy] ?? []);
    }
    for (const [variables = ''] of launcherRows)
      for (const name of variablesIn(variables)) documented.set(name, [...(documented.get(name) ?? []), 'launcher']);
    for (const [reader, { fields }] of Object.entries(READERS)) {
      for (const name of Object.keys(fields)) expect(documented.get(name) ?? [], name).toContain(reader);
    }
    for (const [name, readers] of documented) {
      for (const reader of readers) expect(Object.keys(READERS[reader as keyof typeof READERS].fields)).toContain(name);
    }
  });

  it("give each variable its schema's default", () => {
    for (const [variables = '', usedBy = '', cell = ''] of appRows) {
      for (const name of variablesIn(variables))
        for (const reader of USED_BY[usedBy] ?? []) expectDefault(READERS[reader], name, cell);
    }
    for (const [variables = '', cell = ''] of launcherRows) {
      for (const name of variablesIn(variables)) expectDefault(READERS.launcher, name, cell);
    }
  });

  it('name every old spelling that is still read', () => {
    const paragraph = README.slice(README.indexOf('**Older spellings still work**')).split('\n\n')[0] ?? '';
    const named = variablesIn(paragraph);
    for (const name of [...Object.entries(RENAMED_VARIABLES).flat(), ...BARE_SECONDS_VARIABLES])
      expect(named, name).toContain(name);
  });

  it("give the schema's default wherever README.md and docs/protocol.md write one beside a variable: `NAME` (`default`)", () => {
    const mentions = [...`${README}\n${PROTOCOL}`.matchAll(/`([A-Z][A-Z0-9_]*)` \(`([^`]+)`[),]/g)];
    expect(mentions.length).toBeGreaterThan(20);
    for (const [, name = '', value = ''] of mentions) {
      // `TOO_MANY_CONNECTIONS` (`MAX_CONNECTIONS_PER_IP`): an error code and the variable behind it.
      if (/^[A-Z][A-Z0-9_]*$/.test(value)) continue;
      // An app's variable, else the launcher's (DEV_TOKENS is both, with different defaults: the gateway's is meant).
      const reader = [READERS.gateway, READERS.worker, READERS.launcher].find(({ fields }) => name in fields);
      if (!reader) throw new Error(`${name} (\`${value}\`) is documented but read by nothing`);
      expectDefault(reader, name, `\`${value}\``);
    }
  });
});
