import { ErrorCode } from '@jobcast/contracts';
import { randomBytes } from 'node:crypto';

/**
 * A position in one feed: the feed's epoch (which a Redis that lost the feed does not have; '' for a feed no
 * job had touched yet) and its clock.
 */
export interface FeedPosition {
  epoch: string;
  clock: number;
}

/** How a cursor spells the epoch of a feed that had none: no epoch newFeedEpoch makes (in all likelihood). */
const NO_EPOCH = '0000000000000000';

/** A cursor the feed store did not issue: answered with VALIDATION_FAILED, as any bad input. */
export class FeedCursorError extends Error {
  readonly code = ErrorCode.VALIDATION_FAILED;

  constructor() {
    super('since is not a cursor a feed gave');
    this.name = 'FeedCursorError';
  }
}

const POSITION = /^([0-9a-f]{16})\.(\d{1,15})$/;

/** A new feed's epoch: random, so a feed written anew (a flushed or fresh Redis) never takes an old one's. */
export function newFeedEpoch(): string {
  return randomBytes(8).toString('hex');
}

/** The opaque cursor of a position: base64url, so it is safe in a URL, a header and an SSE `id:`. */
export function encodeFeedCursor(position: FeedPosition): string {
  return Buffer.from(`${position.epoch || NO_EPOCH}.${position.clock}`).toString('base64url');
}

/** The position a cursor names; FeedCursorError for anything encodeFeedCursor did not make. */
export function decodeFeedCursor(cursor: string): FeedPosition {
  const match = /^[A-Za-z0-9_-]{1,100}$/.test(cursor)
    ? POSITION.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
    : null;
  if (!match) throw new FeedCursorError();
  return { epoch: match[1] === NO_EPOCH ? '' : (match[1] as string), clock: Number(match[2]) };
}
