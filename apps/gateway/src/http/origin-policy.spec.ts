import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origin-policy';

describe('OriginPolicy', () => {
  const policy = new OriginPolicy({ origins: ['https://app.example.com'], trustProxy: false });

  it('allows requests without an Origin, same-origin pages and listed origins', () => {
    expect(policy.allows({ host: 'gw:3000' })).toBe(true);
    expect(policy.allows({ host: 'gw:3000', origin: 'http://gw:3000' })).toBe(true);
    expect(policy.allows({ host: 'gw:3000', origin: 'https://APP.example.com' })).toBe(true);
  });

  it('refuses any other origin, and garbage', () => {
    expect(policy.allows({ host: 'gw:3000', origin: 'https://evil.example' })).toBe(false);
    expect(policy.allows({ host: 'gw:3000', origin: 'null' })).toBe(false);
    expect(policy.allows({ origin: 'http://gw:3000' })).toBe(false);
    expect(
      new OriginPolicy({ origins: [], trustProxy: false }).allows({
        host: 'gw:3000',
        origin: 'https://app.example.com',
      }),
    ).toBe(false);
  });

  it('compares the port too: a page on the load balancer port is not the gateway port', () => {
    expect(policy.allows({ host: 'lb.example', origin: 'http://lb.example:8080' })).toBe(false);
    expect(policy.allows({ host: 'lb.example:8080', origin: 'http://lb.example:8080' })).toBe(true);
  });

  it('reads X-Forwarded-Host only behind a trusted proxy, and then the entry that proxy wrote', () => {
    const forged = { host: 'gw:3000', origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' };
    expect(policy.allows(forged)).toBe(false);
    const behindProxy = new OriginPolicy({ origins: [], trustProxy: true });
    expect(behindProxy.allows({ host: 'gw:3000', origin: 'http://lb:8080', 'x-forwarded-host': 'lb:8080' })).toBe(true);
    expect(
      behindProxy.allows({
        host: 'gw:3000',
        origin: 'https://evil.example',
        'x-forwarded-host': 'evil.example, lb:8080',
      }),
    ).toBe(false);
    expect(behindProxy.allows({ host: 'gw:3000', origin: 'http://gw:3000' })).toBe(true);
  });
});
