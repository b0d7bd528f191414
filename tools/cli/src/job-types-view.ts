import type { JobTypeInfo } from '@jobcast/contracts';
import { plainText } from './terminal-text';

/**
 * `jobcast types`: each registered job type on a line of its own, its live workers and default attempts,
 * its description, then its payload fields as `name: type` (`?` when optional, `= default` when it has one).
 * What a worker registered is printed without control characters, as job text is.
 */
export function describeJobTypes(types: readonly JobTypeInfo[]): string {
  if (types.length === 0) return 'No job type is registered: start a worker.\n';
  return types
    .map((type) => {
      const workers = type.workers === 1 ? '1 worker' : `${type.workers} workers`;
      const fields = payloadFields(type.payloadSchema);
      return [
        `${type.name}  (${workers}, ${type.attempts} attempt${type.attempts === 1 ? '' : 's'})`,
        `  ${type.description}`,
        `  payload: ${fields.length > 0 ? fields.join(', ') : '{}'}`,
      ]
        .map(plainText)
        .join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
}

function payloadFields(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const type = property.enum
      ? property.enum.map((value) => JSON.stringify(value)).join('|')
      : [property.type ?? 'any'].flat().join('|');
    const fallback = property.default === undefined ? '' : ` = ${JSON.stringify(property.default)}`;
    return `${name}${required.has(name) ? '' : '?'}: ${type}${fallback}`;
  });
}
