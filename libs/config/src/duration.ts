import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `30s`, `15m`, `24h`, `7d` or a bare number of `bareUnit`s into milliseconds. */
export function durationMs(bareUnit: keyof typeof UNIT_MS) {
  return z
    .string()
    .trim()
    .regex(/^\d+(?:\.\d+)?(ms|s|m|h|d)?$/, 'must be a number with an optional unit: ms, s, m, h, d')
    .transform((text) => {
      const [, amount = '0', unit = bareUnit] = /^([\d.]+)(ms|s|m|h|d)?$/.exec(text) ?? [];
      return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
    });
}
