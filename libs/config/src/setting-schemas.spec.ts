import { describe, expect, it } from 'vitest';
import { booleanFlag, originList } from './setting-schemas';

describe('setting schemas', () => {
  it('reads on/off flags in their three spellings, and nothing else', () => {
    expect(['1', 'true', 'yes', '0', 'false', 'no'].map((text) => booleanFlag.parse(text))).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(booleanFlag.safeParse('on').success).toBe(false);
  });

  it('reads a comma-separated origin list, dropping blanks', () => {
    expect(originList.parse(' http://a.example , http://b.example:8080,,')).toEqual([
      'http://a.example',
      'http://b.example:8080',
    ]);
  });
});
