import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './error-codes';

/** The codes in the first column of the "Error codes" table of docs/protocol.md. */
function documentedCodes(): string[] {
  const protocol = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
  const section = /\n## Error codes\n([\s\S]*?)(?=\n## )/.exec(protocol)?.[1] ?? '';
  return [...section.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((match) => match[1] as string);
}

describe('ErrorCode', () => {
  it('names each code after itself', () => {
    for (const [name, code] of Object.entries(ErrorCode)) expect(code).toBe(name);
  });

  it('is what docs/protocol.md documents under "Error codes", code for code', () => {
    const documented = documentedCodes();
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(ErrorCode).sort());
  });
});
