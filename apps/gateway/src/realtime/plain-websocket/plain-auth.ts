import { ErrorCode, PlainDisconnectReason, type PlainClientMessage } from '@jobcast/contracts';
import type { Logger } from 'pino';
import type { Principal } from '../../auth/principal';
import type { TokenVerifier } from '../../auth/token-verifier';
import type { GatewayConfig } from '../../config/gateway-config';
import type { Subscriptions } from '../subscriptions';
import type { PlainSocket } from './plain-socket';
import { closeWithNotice, sendMessage, type PlainReply } from './plain-transport';

/** Requests a client may send behind its `auth` before the welcome; they wait for the token's check. */
const MAX_HELD_DURING_AUTH = 16;

/** A request of an authenticated socket, for the dispatcher. */
export type AuthenticatedRequest = Exclude<PlainClientMessage, { type: 'auth' }>;

/**
 * Who a plain WebSocket is: its token from the Authorization header at the handshake, or from an `auth`
 * message, the first one within WS_AUTH_TIMEOUT or a later one that renews it (which must read what the first
 * did). While an `auth` message's token is checked, the requests sent right behind it wait on the socket, in
 * order, and are taken once it is checked, as if it had been at once; requests of a socket with no token yet
 * are refused. A token that does not verify closes the socket.
 */
export class PlainAuth {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly subscriptions: Subscriptions,
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
    private readonly reply: PlainReply,
    private readonly dispatch: (socket: PlainSocket, request: AuthenticatedRequest) => void,
  ) {}

  /** A socket ws has just taken over: welcomed at once for a header token, else given WS_AUTH_TIMEOUT. */
  opened(socket: PlainSocket, principal: Principal | null): void {
    if (principal) return this.welcome(socket, principal);
    socket.authTimer = setTimeout(
      closeWithNotice,
      this.config.WS_AUTH_TIMEOUT,
      socket,
      PlainDisconnectReason.AUTH_TIMEOUT,
    );
  }

  /** A request from the socket: waits while a token is checked, else is taken now. */
  receive(socket: PlainSocket, message: PlainClientMessage): void {
    const waiting = socket.waitingForAuth;
    if (!waiting) return this.take(socket, message);
    if (waiting.length >= MAX_HELD_DURING_AUTH) {
      const error = { code: ErrorCode.RATE_LIMITED, message: 'Wait for welcome before sending more' };
      return this.reply(socket, { type: 'error', error });
    }
    waiting.push(message);
  }

  private take(socket: PlainSocket, message: PlainClientMessage): void {
    if (message.type === 'auth') return this.check(socket, message.token);
    if (socket.authenticated) return this.dispatch(socket, message);
    const error = { code: ErrorCode.UNAUTHORIZED, message: 'Send {"type":"auth","token"} first' };
    this.reply(socket, { type: 'error', ...(message.id !== undefined && { id: message.id }), error });
  }

  /** Checks the token of an `auth`; `waiting` are requests that came after it before the check began. */
  private check(socket: PlainSocket, token: string, waiting: PlainClientMessage[] = []): void {
    socket.waitingForAuth = waiting;
    this.verifier
      .verify(token)
      .then(
        (principal) => (principal ? this.welcome(socket, principal) : this.refuseToken(socket)),
        () => this.refuseToken(socket),
      )
      .then(() => this.checked(socket))
      .catch((error: unknown) => this.logger.error({ err: error }, 'plain WebSocket auth crashed'));
  }

  /** The token is checked: the requests that waited for it are taken in order, up to another `auth`. */
  private checked(socket: PlainSocket): void {
    const waiting = socket.waitingForAuth ?? [];
    socket.waitingForAuth = undefined;
    if (socket.readyState !== socket.OPEN) return;
    for (const [index, message] of waiting.entries()) {
      // Another `auth`: the rest waits for its check.
      if (message.type === 'auth') return this.check(socket, message.token, waiting.slice(index + 1));
      this.take(socket, message);
    }
  }

  private welcome(socket: PlainSocket, principal: Principal): void {
    if (socket.authenticated) {
      if (!this.subscriptions.renew(socket, principal)) return this.refuseToken(socket);
    } else {
      clearTimeout(socket.authTimer);
      socket.authTimer = undefined;
      this.subscriptions.admit(socket, principal);
    }
    this.reply(socket, { type: 'welcome', gateway: this.config.GATEWAY_ID, heartbeatMs: this.config.WS_HEARTBEAT });
  }

  private refuseToken(socket: PlainSocket): void {
    sendMessage(socket, { type: 'error', error: { code: ErrorCode.UNAUTHORIZED, message: 'Invalid token' } });
    closeWithNotice(socket, PlainDisconnectReason.UNAUTHORIZED);
  }
}
