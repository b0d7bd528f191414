import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origin-policy';

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://app.example.com']);

  it('allows requests without an Origin, same-origin pages and listed origins', () => {
    expect(policy.allows({ host: 'gw:3000' })).toBe(true);
    expect(policy.allows({ host: 'gw:3000', origin: 'http://gw:3000' })).toBe(true);
    expect(policy.allows({ host: 'gw:3000', origin: 'https://APP.example.com' })).toBe(true);
  });

  it('refuses any other origin, and garbage', () => {
    expect(policy.allows({ host: 'gw:3000', origin: 'https://evil.example' })).toBe(false);
    expect(policy.allows({ host: 'gw:3000', origin: 'null' })).toBe(false);
    expect(new OriginPolicy([]).allows({ host: 'gw:3000', origin: 'https://app.example.com' })).toBe(false);
  });
});
