import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('keeps URLs without credentials as they are', () => {
    expect(redactUrl('/jobs/j1/events')).toBe('/jobs/j1/events');
    expect(redactUrl('/jobs/j1/events?afterSeq=3&x')).toBe('/jobs/j1/events?afterSeq=3&x');
  });

  it('redacts every occurrence of a token parameter, whatever its case or position', () => {
    expect(redactUrl('/e?access_token=a.b.c&afterSeq=2&access_token=d.e.f')).toBe(
      '/e?access_token=[redacted]&afterSeq=2&access_token=[redacted]',
    );
    expect(redactUrl('/e?ACCESS_TOKEN=abc')).toBe('/e?ACCESS_TOKEN=[redacted]');
    expect(redactUrl('/e?token=abc&id_token=def')).toBe('/e?token=[redacted]&id_token=[redacted]');
    expect(redactUrl('/e?access_token')).toBe('/e?access_token=[redacted]');
  });

  it('decodes names before judging them, and redacts names that do not decode', () => {
    expect(redactUrl('/e?%61ccess_token=abc')).toBe('/e?%61ccess_token=[redacted]');
    expect(redactUrl('/e?access%5Ftoken=abc')).toBe('/e?access%5Ftoken=[redacted]');
    expect(redactUrl('/e?access_token%5B%5D=abc&access_token[x]=def')).toBe(
      '/e?access_token%5B%5D=[redacted]&access_token[x]=[redacted]',
    );
    expect(redactUrl('/e?%E0%A4%A=abc&afterSeq=1')).toBe('/e?%E0%A4%A=[redacted]&afterSeq=1');
  });

  it('leaves no part of an encoded value behind', () => {
    const redacted = redactUrl('/e?access_token=ey%4A.ey%4A%26afterSeq%3D1.sig&afterSeq=1');
    expect(redacted).toBe('/e?access_token=[redacted]&afterSeq=1');
  });
});
