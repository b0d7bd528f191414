import type { PlainClientMessage } from '@jobcast/contracts';
import { WebSocket } from 'ws';
import type { ReadAccess } from '../../auth/access-policy';
import type { ConnectionSubscriptions } from '../connection-subscriptions';
import type { Watcher } from '../watcher';

/** A socket's read access before it authenticates: nothing, and this very object, which no token's is. */
const UNAUTHENTICATED: ReadAccess = { kind: 'nothing' };

/**
 * A plain WebSocket connection with what the gateway keeps on it, in the socket itself rather than in a map
 * beside it: the delivery core's fields of a connection, and the keepalive and auth bookkeeping of this one.
 * ws makes every connection of the server an instance of this class (its `WebSocket` option).
 */
export class PlainSocket extends WebSocket implements Watcher {
  /** `UNAUTHENTICATED` until the socket has authenticated. */
  reader: ReadAccess = UNAUTHENTICATED;
  expiresAtS = 0;
  subscriptions: ConnectionSubscriptions = undefined;
  subscribeAt = 0;
  /** The client's IP as the connection limit counts it. */
  clientIp = '';
  /** Ping frames sent since the peer was last heard from. */
  missedPings = 0;
  /** Closes the socket if no `auth` comes in time; only while it has not authenticated. */
  authTimer: NodeJS.Timeout | undefined = undefined;
  /** While an `auth` message's token is being checked: the requests that came after it, in order. */
  waitingForAuth: PlainClientMessage[] | undefined = undefined;

  get authenticated(): boolean {
    return this.reader !== UNAUTHENTICATED;
  }
}

/** Listeners shared by every socket, called with the socket as `this`: no closures per connection. */
export function socketListener<Args extends unknown[]>(
  handle: (socket: PlainSocket, ...args: Args) => void,
): (this: WebSocket, ...args: Args) => void {
  return function (this: WebSocket, ...args: Args) {
    // Every socket of the server is a PlainSocket (its `WebSocket` option).
    handle(this as PlainSocket, ...args);
  };
}
