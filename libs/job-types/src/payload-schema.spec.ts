import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  MAX_PAYLOAD_SCHEMA_BYTES,
  MAX_PAYLOAD_SCHEMA_DEPTH,
  checkPayloadSchema,
  payloadJsonSchema,
  schemaHash,
} from './payload-schema';
import { compilePayloadValidator } from './payload-validator';

describe('payloadJsonSchema', () => {
  const schema = payloadJsonSchema(
    z.strictObject({
      url: z.url(),
      email: z.email().optional(),
      widths: z.array(z.number().int().min(16).max(4096)).min(1).max(10),
      quality: z.number().min(1).max(100).default(80),
    }),
  );
  const validator = compilePayloadValidator(schema);

  it('checks what the zod schema checks, with defaults applied and unknown keys refused', () => {
    const payload: Record<string, unknown> = { url: 'https://example.com/a.png', widths: [64] };
    expect(validator.validate(payload)).toEqual({ ok: true });
    expect(payload.quality).toBe(80);
    expect(validator.validate({ url: 'https://example.com', widths: [8] }).ok).toBe(false);
    expect(validator.validate({ url: 'nope', widths: [64] }).ok).toBe(false);
    expect(validator.validate({ url: 'https://example.com', widths: [64], extra: 1 }).ok).toBe(false);
    expect(validator.validate({ url: 'https://example.com', widths: [64], email: 'not an email' }).ok).toBe(false);
    expect(validator.validate({ url: 'https://example.com', widths: [64], email: 'a@example.com' }).ok).toBe(true);
  });

  it("keeps zod's format checks as formats, without its backtracking patterns", () => {
    const email = (schema.properties as Record<string, Record<string, unknown>>).email;
    expect(email).toEqual({ type: 'string', format: 'email' });
  });

  it('names a schema version by its content', () => {
    expect(schemaHash(schema)).toMatch(/^[0-9a-f]{16}$/);
    expect(schemaHash(schema)).toBe(schemaHash(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>));
    expect(schemaHash(schema)).not.toBe(schemaHash(payloadJsonSchema(z.object({ url: z.url() }))));
  });
});

describe('checkPayloadSchema', () => {
  it('refuses a pattern that can backtrack catastrophically', () => {
    expect(() => payloadJsonSchema(z.object({ name: z.string().regex(/^(a+)+$/) }))).toThrow(/backtrack/);
    expect(() => payloadJsonSchema(z.object({ name: z.string().regex(/^[a-z]+$/) }))).not.toThrow();
  });

  it('refuses references it would have to fetch, and ids', () => {
    expect(() => checkPayloadSchema({ $ref: 'https://example.com/schema.json' })).toThrow(/local references/);
    expect(() => checkPayloadSchema({ properties: { a: { $ref: 'other.json#/a' } } })).toThrow(/local references/);
    expect(() => checkPayloadSchema({ $id: 'https://example.com/s' })).toThrow(/\$id/);
    expect(() => checkPayloadSchema({ $defs: { a: { type: 'string' } }, $ref: '#/$defs/a' })).not.toThrow();
  });

  it('refuses schemas over the size and depth bounds', () => {
    const big = { type: 'object', description: 'x'.repeat(MAX_PAYLOAD_SCHEMA_BYTES) };
    expect(() => checkPayloadSchema(big)).toThrow(/bytes/);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_PAYLOAD_SCHEMA_DEPTH; i += 1) deep = { type: 'object', properties: { a: deep } };
    expect(() => checkPayloadSchema(deep)).toThrow(/deeper/);
  });

  it('refuses a schema that does not compile', () => {
    expect(() => checkPayloadSchema({ type: 'no-such-type' })).toThrow(/does not compile/);
  });

  it('reads data keywords as data: a "pattern" inside a default is not a pattern', () => {
    expect(() => checkPayloadSchema({ type: 'object', default: { pattern: '(a+)+' } })).not.toThrow();
  });
});
