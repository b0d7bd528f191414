import { ErrorCode } from '@jobcast/contracts';
import { describe, expect, it } from 'vitest';
import { FeedCursorError, decodeFeedCursor, encodeFeedCursor, newFeedEpoch } from './feed-cursor';

describe('feed cursors', () => {
  it('round-trip a position as URL-safe text', () => {
    const position = { epoch: newFeedEpoch(), clock: 123_456_789 };
    const cursor = encodeFeedCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeFeedCursor(cursor)).toEqual(position);
    expect(decodeFeedCursor(encodeFeedCursor({ epoch: '', clock: 0 }))).toEqual({ epoch: '', clock: 0 });
  });

  it('refuse what they did not make, with VALIDATION_FAILED', () => {
    const garbage = [
      '',
      'abc',
      '!!!',
      Buffer.from('0123456789abcdef.').toString('base64url'),
      Buffer.from('0123456789abcdeg.1').toString('base64url'),
      Buffer.from('0123456789abcdef.1234567890123456').toString('base64url'),
      'a'.repeat(101),
    ];
    for (const cursor of garbage) {
      expect(() => decodeFeedCursor(cursor), cursor).toThrow(FeedCursorError);
    }
    expect(new FeedCursorError().code).toBe(ErrorCode.VALIDATION_FAILED);
  });
});
