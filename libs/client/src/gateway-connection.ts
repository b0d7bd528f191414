import type { DisconnectNotice, Feed, FeedSubscribeAck, SubscribeAck } from '@jobcast/contracts/protocol';

/** What a connection tells its client. */
export interface ConnectionHandlers {
  /** Connected and authenticated: subscribes may go out. */
  connected(): void;
  /** The gateway refused the connection (`code`: `UNAUTHORIZED`, …) or it could not be made. */
  refused(code: string): void;
  /** An open connection is gone; `notice` is why, when the gateway said so. */
  disconnected(notice?: DisconnectNotice): void;
  /** A live event (not yet checked). */
  event(raw: unknown): void;
  /** A feed's live update, `{feed, jobs, cursor, batch?}` (not yet checked). */
  feedJobs(raw: unknown): void;
}

/** One connection to one gateway, whatever carries it: what a job's subscription needs of it. */
export interface GatewayConnection {
  readonly connected: boolean;
  /**
   * Subscribes; `answer` gets the gateway's answer as a Socket.IO ack would have it (not yet checked), or
   * undefined when none came within `timeoutMs` (the request or its answer may be lost: asking again is
   * harmless).
   */
  subscribe(jobId: string, afterSeq: number, timeoutMs: number, answer: (ack: SubscribeAck | undefined) => void): void;
  /** Unsubscribes; `answered` says whether the gateway confirmed it within `timeoutMs`. */
  unsubscribe(jobId: string, timeoutMs: number, answered: (confirmed: boolean) => void): void;
  /** Subscribes to a feed from `since`; `answer` as for `subscribe`. */
  subscribeFeed(
    feed: Feed,
    since: string | undefined,
    timeoutMs: number,
    answer: (ack: FeedSubscribeAck | undefined) => void,
  ): void;
  /** Unsubscribes from a feed. */
  unsubscribeFeed(feed: Feed, timeoutMs: number, answered: (confirmed: boolean) => void): void;
  /** Closes for good: no handler is called afterwards. */
  close(): void;
}

/** Opens a connection to the gateway at `url` (its base URL) with `token`. */
export type Transport = (url: string, token: string, handlers: ConnectionHandlers) => GatewayConnection;
