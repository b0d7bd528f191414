import { createHash } from 'node:crypto';
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { PayloadSchemaError } from './payload-schema-error';
import { compilePayloadValidator, KNOWN_FORMATS } from './payload-validator';

/** Bounds on a registered payload schema, so that no registration can make a gateway's submits slow. */
export const MAX_PAYLOAD_SCHEMA_BYTES = 64 * 1024;
export const MAX_PAYLOAD_SCHEMA_DEPTH = 32;

export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema a gateway checks submits against, made by zod from the job type's own payload schema (its
 * input side: a field with a default is optional). What JSON Schema cannot say (a transform, a refinement)
 * is left to the worker, which parses every payload with the zod schema itself before running it.
 */
export function payloadJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return checkPayloadSchema(withoutFormatPatterns(json));
}

/**
 * Refuses what a gateway must never compile: a schema over the size or depth bound, a `$ref` that is not
 * local (ajv would have to fetch it), an `$id`, and a `pattern` that can backtrack catastrophically.
 * Both the worker (before it registers) and the gateway (before it compiles) run it.
 */
export function checkPayloadSchema(schema: JsonSchema): JsonSchema {
  const text = JSON.stringify(schema);
  if (text.length > MAX_PAYLOAD_SCHEMA_BYTES) {
    throw new PayloadSchemaError(`payload schema is ${text.length} bytes; at most ${MAX_PAYLOAD_SCHEMA_BYTES}`);
  }
  visit(schema, 0, (node, key, depth) => {
    if (depth > MAX_PAYLOAD_SCHEMA_DEPTH) {
      throw new PayloadSchemaError(`payload schema nests deeper than ${MAX_PAYLOAD_SCHEMA_DEPTH} levels`);
    }
    const value = node[key];
    if ((key === '$ref' || key === '$dynamicRef') && (typeof value !== 'string' || !value.startsWith('#'))) {
      throw new PayloadSchemaError(`payload schema may only use local references ("#/..."), not ${String(value)}`);
    }
    if (key === '$id' || key === '$anchor' || key === '$dynamicAnchor') {
      throw new PayloadSchemaError(`payload schema may not use ${key}`);
    }
    if (key === 'pattern' && (typeof value !== 'string' || !safeRegex(value))) {
      throw new PayloadSchemaError(`pattern ${JSON.stringify(value)} may backtrack catastrophically; simplify it`);
    }
  });
  try {
    compilePayloadValidator(schema).release();
  } catch (error) {
    throw new PayloadSchemaError(`payload schema does not compile: ${(error as Error).message}`);
  }
  return schema;
}

/** Identifies a schema version: gateways compile each one once, and a conflict log names both. */
export function schemaHash(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16);
}

/**
 * zod writes some string formats twice, as `format` and as its own `pattern` (its email and date-time
 * patterns would fail the backtracking check). Where the gateway's validator knows the format, the format
 * alone is checked.
 */
function withoutFormatPatterns(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const node = value as JsonSchema;
    if (typeof node.format !== 'string' || !KNOWN_FORMATS.has(node.format) || !('pattern' in node)) return node;
    const { pattern: _pattern, ...rest } = node;
    return rest;
  }) as JsonSchema;
}

function visit(
  node: unknown,
  depth: number,
  check: (node: Record<string, unknown>, key: string, depth: number) => void,
): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) visit(item, depth + 1, check);
    return;
  }
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    check(record, key, depth);
    // `default`, `const`, `enum` and `examples` hold data, not schemas: a `pattern` key inside them is data.
    if (key !== 'default' && key !== 'const' && key !== 'enum' && key !== 'examples') {
      visit(record[key], depth + 1, check);
    }
  }
}
