import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/**
 * Milliseconds in `text`: `500ms`, `30s`, `15m`, `1h`, `7d`, or a bare number of `bareUnit`s; undefined when
 * `text` is not a duration.
 */
export function parseDuration(text: string, bareUnit: DurationUnit = 'ms'): number | undefined {
  const [, amount, unit = bareUnit] = DURATION.exec(text.trim()) ?? [];
  return amount === undefined ? undefined : Math.round(Number(amount) * UNIT_MS[unit as DurationUnit]);
}

/** Whether `text` is a number with no unit, the spelling whose meaning differed between variables once. */
export function isBareNumber(text: string): boolean {
  return /^\d+(?:\.\d+)?$/.test(text.trim());
}

/**
 * Every duration setting, into milliseconds: `500ms`, `30s`, `15m`, `1h`, `7d`, or a bare number of
 * milliseconds. Milliseconds because every other duration in Jobcast is in them (createWorker's `lockMs`,
 * the protocol's `heartbeatMs` and `leaseMs`, BullMQ, Node's timers), so a number means the same wherever it
 * is written, and sub-second settings (a 500 ms heartbeat) need no fraction.
 */
export const duration = z
  .string()
  .trim()
  .regex(DURATION, 'must be a duration: a number with an optional unit, ms (the default), s, m, h or d')
  .transform((text) => parseDuration(text) ?? 0);
