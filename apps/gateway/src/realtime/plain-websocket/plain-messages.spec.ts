import { PlainCloseCode, PlainDisconnectReason, shouldResumeAfterClose } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { parsePlainMessage } from './plain-messages';

const text = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const parse = (value: unknown) => parsePlainMessage(text(value), false);

describe('parsePlainMessage', () => {
  it('reads each request type, with and without an id', () => {
    expect(parse({ type: 'auth', token: 't' })).toEqual({ message: { type: 'auth', token: 't' } });
    expect(parse({ type: 'subscribe', id: 'a', jobId: 'j-1', afterSeq: 3 })).toEqual({
      message: { type: 'subscribe', id: 'a', jobId: 'j-1', afterSeq: 3 },
    });
    expect(parse({ type: 'unsubscribe', jobId: 'j-1' })).toEqual({ message: { type: 'unsubscribe', jobId: 'j-1' } });
    expect(parse({ type: 'ping' })).toEqual({ message: { type: 'ping' } });
  });

  it('joins a fragmented message', () => {
    expect(parsePlainMessage([Buffer.from('{"type":'), Buffer.from('"ping","id":"x"}')], false)).toEqual({
      message: { type: 'ping', id: 'x' },
    });
  });

  it('rejects binary frames, non-JSON, non-objects, unknown types and bad fields with VALIDATION_FAILED', () => {
    const rejectedCode = (result: ReturnType<typeof parse>) =>
      'rejected' in result ? result.rejected.error.code : 'ok';
    expect(rejectedCode(parsePlainMessage(text({ type: 'ping' }), true))).toBe('VALIDATION_FAILED');
    for (const bad of ['{', '', 'null', '[]', '"ping"', '42', { type: 'launch' }, { id: 'x' }]) {
      expect(rejectedCode(parse(bad)), JSON.stringify(bad)).toBe('VALIDATION_FAILED');
    }
    for (const bad of [
      { type: 'subscribe', jobId: '../x' },
      { type: 'subscribe', jobId: 'j', afterSeq: 1.5 },
      { type: 'subscribe', jobId: 'j', afterSeq: '3' },
      { type: 'subscribe', jobId: 'j', extra: true },
      { type: 'auth', token: '' },
      { type: 'auth', token: 7 },
      { type: 'ping', id: 'x'.repeat(65) },
    ]) {
      expect(rejectedCode(parse(bad)), JSON.stringify(bad)).toBe('VALIDATION_FAILED');
    }
  });

  it('echoes a usable id of a rejected request, and only a usable one', () => {
    expect(parse({ type: 'launch', id: 'r1' })).toMatchObject({ rejected: { id: 'r1' } });
    for (const id of [7, null, { a: 1 }, 'x'.repeat(65)]) {
      expect(parse({ type: 'launch', id })).toEqual({ rejected: { error: expect.any(Object) as object } });
    }
    // A prototype-named key is data, never the object's prototype.
    const sneaky = parse('{"type":"launch","__proto__":{"id":"from-proto"}}');
    expect(sneaky).toEqual({ rejected: { error: expect.any(Object) as object } });
  });

  it('keeps an answer small however many issues a frame has', () => {
    const result = parse({
      type: 'subscribe',
      ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])),
    });
    expect('rejected' in result && (result.rejected.error.details as unknown[]).length).toBeLessThanOrEqual(10);
  });
});

describe('close codes', () => {
  it('maps each disconnect reason to its close code', () => {
    expect(Object.values(PlainDisconnectReason).map((reason) => [reason, PlainCloseCode[reason]])).toEqual([
      ['SHUTTING_DOWN', 4000],
      ['SLOW_CONSUMER', 4001],
      ['UNAUTHORIZED', 4401],
      ['TOKEN_EXPIRED', 4401],
      ['AUTH_TIMEOUT', 4408],
    ]);
  });

  it('says to resume after 4000-4399 and network closes, and to stop after 4400-4499', () => {
    for (const code of [1001, 1006, 1009, 1011, 4000, 4001, 4399])
      expect(shouldResumeAfterClose(code), `${code}`).toBe(true);
    for (const code of [4400, 4401, 4408, 4499]) expect(shouldResumeAfterClose(code), `${code}`).toBe(false);
  });
});
