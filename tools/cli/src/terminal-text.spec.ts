import { describe, expect, it } from 'vitest';
import { plainText, terminalJson } from './terminal-text';

const HOSTILE = 'a\x1b[2J\x1b]0;title\x07b\u009b31mc\u202ed\u200be\x7ff\r\ng\th';

describe('plainText', () => {
  it('keeps ordinary text, accents and emoji', () => {
    expect(plainText('step 3 of 10: café ✓ 🚀')).toBe('step 3 of 10: café ✓ 🚀');
  });

  it('drops every control character and invisible mark, and turns line breaks and tabs into spaces', () => {
    expect(plainText(HOSTILE)).toBe('a[2J]0;titleb31mcdef  g h');
  });
});

describe('terminalJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { message: HOSTILE, nested: ['\u009b', '\u2066'] };
    const text = terminalJson(value);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
