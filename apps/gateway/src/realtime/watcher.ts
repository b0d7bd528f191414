import type { ReadAccess } from '../auth/access-policy';
import type { ConnectionSubscriptions } from './connection-subscriptions';

/**
 * A long-lived connection as the delivery core sees it, whatever its transport (a Socket.IO socket's data, a
 * plain WebSocket, an SSE stream): four fields, which V8 stores in the object itself, and numbers that stay
 * small integers, which it stores unboxed. At tens of thousands of idle connections every further object per
 * connection shows. Only the core (Subscriptions) writes them.
 */
export interface Watcher {
  /** What the connection may read, in the access rules' own terms (auth/access-policy), once its token is verified. */
  reader: ReadAccess;
  /** The token's `exp`, in whole seconds since epoch. */
  expiresAtS: number;
  subscriptions: ConnectionSubscriptions;
  /** The subscribe rate limit's state (`SubscribeRate`). */
  subscribeAt: number;
}
