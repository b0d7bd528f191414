import { describe, expect, it } from 'vitest';
import { duration, isBareNumber, parseDuration } from './duration';

describe('duration', () => {
  it('reads every unit into milliseconds', () => {
    expect(['500ms', '30s', '15m', '1h', '7d'].map((text) => duration.parse(text))).toEqual([
      500,
      30_000,
      15 * 60_000,
      3_600_000,
      7 * 86_400_000,
    ]);
    expect(duration.parse('1.5s')).toBe(1500);
    expect(duration.parse(' 2m ')).toBe(120_000);
  });

  it('reads a bare number as milliseconds', () => {
    expect(duration.parse('250')).toBe(250);
    expect(duration.parse('0')).toBe(0);
  });

  it('refuses anything else, saying what it takes', () => {
    for (const text of ['soon', '10 s', '-5s', '5w', '1e3', 's', '5S', ''])
      expect(duration.safeParse(text).error?.issues[0]?.message, text).toMatch(/^must be a duration/);
  });

  it('parses in another bare unit on request, for the spellings that used seconds', () => {
    expect(parseDuration('90', 's')).toBe(90_000);
    expect(parseDuration('90ms', 's')).toBe(90);
    expect(parseDuration('ninety')).toBeUndefined();
    expect([isBareNumber('90'), isBareNumber('1.5'), isBareNumber('90s'), isBareNumber('x')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
