import { WebSocket } from 'ws';
import type { ReadAccess } from '../../auth/access-policy';
import type { WatcherState } from '../job-subscriptions';
import type { ConnectionRelays } from '../connection-relays';

/** A socket's read access before it authenticates: nothing, and this very object, which no token's is. */
const UNAUTHENTICATED: ReadAccess = { kind: 'nothing' };

/**
 * A plain WebSocket connection with what the gateway keeps on it, in the socket itself rather than in a map
 * beside it: the watcher state every transport keeps, and the keepalive and auth bookkeeping of this one.
 * ws makes every connection of the server an instance of this class (its `WebSocket` option).
 */
export class PlainSocket extends WebSocket implements WatcherState {
  /** `UNAUTHENTICATED` until the socket has authenticated. */
  reader: ReadAccess = UNAUTHENTICATED;
  expiresAtS = 0;
  relays: ConnectionRelays = undefined;
  subscribeAt = 0;
  /** The client's IP as the connection limit counts it. */
  clientIp = '';
  /** Ping frames sent since the peer was last heard from. */
  missedPings = 0;
  /** Closes the socket if no `auth` comes in time; only while it has not authenticated. */
  authTimer: NodeJS.Timeout | undefined = undefined;
  /** While an `auth` message's token is being checked: what later requests wait for. */
  authenticating: Promise<void> | undefined = undefined;
  /** Requests waiting for that check. */
  heldDuringAuth = 0;

  get authenticated(): boolean {
    return this.reader !== UNAUTHENTICATED;
  }
}
