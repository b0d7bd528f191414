/** Bounds on client-supplied JSON, so one payload cannot make every later reader do unbounded work. */
export const MAX_PAYLOAD_DEPTH = 8;
export const MAX_PAYLOAD_BYTES = 32 * 1024;

/** Nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or array. */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, jsonDepth(child, limit - 1));
  return deepest + 1;
}
