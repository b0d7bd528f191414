import { ErrorCode, PLAIN_WEBSOCKET_PATH, PLAIN_WEBSOCKET_PROTOCOL, type ApiErrorBody } from '@jobcast/contracts';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import { bearerToken } from '../../auth/bearer-token';
import type { Principal } from '../../auth/principal';
import type { TokenVerifier } from '../../auth/token-verifier';
import { HANDSHAKE_REFUSALS, type ConnectionGate } from '../connection-gate';
import type { PlainSocket } from './plain-socket';

/** Engine.IO's path, whose upgrades are Engine.IO's to handle. */
const SOCKET_IO_PATH = '/socket.io/';

const ignoreError = (): void => undefined;

/** Refuses an upgrade before it happens, as plain HTTP with the JSON error body. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } } satisfies ApiErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A socket ws has taken over, with the principal of its Authorization header when it came with one. */
export type OpenedSocket = (socket: PlainSocket, request: IncomingMessage, principal: Principal | null) => void;

/**
 * The plain WebSocket's handshakes, on the gateway's own HTTP server: only upgrades of `/ws` (Engine.IO keeps
 * its own), only the `jobcast.v1` subprotocol, the checks every transport shares (ConnectionGate), and a token
 * in the Authorization header when there is one (never the URL). A refusal is plain HTTP with the JSON error
 * body, before the upgrade.
 */
export class PlainUpgrades {
  constructor(
    private readonly sockets: WebSocketServer,
    private readonly gate: ConnectionGate,
    private readonly verifier: TokenVerifier,
    private readonly logger: Logger,
    private readonly opened: OpenedSocket,
  ) {}

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(request, socket, head).catch((error: unknown) => {
        this.logger.error({ err: error }, 'plain WebSocket upgrade crashed');
        socket.destroy();
      });
    });
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0] as string;
    if (path.startsWith(SOCKET_IO_PATH)) return;
    // Until ws takes the socket over, a client that hangs up must not be an unhandled error.
    socket.on('error', ignoreError);
    if (path !== PLAIN_WEBSOCKET_PATH) {
      return refuse(socket, 404, ErrorCode.NOT_FOUND, `No WebSocket endpoint at ${path}; use ${PLAIN_WEBSOCKET_PATH}`);
    }
    const offered = request.headers['sec-websocket-protocol'];
    if (offered !== undefined && !offered.split(',').some((name) => name.trim() === PLAIN_WEBSOCKET_PROTOCOL)) {
      return refuse(
        socket,
        400,
        ErrorCode.VALIDATION_FAILED,
        `Only the ${PLAIN_WEBSOCKET_PROTOCOL} subprotocol is spoken`,
      );
    }
    const refusal = this.gate.refusal(request);
    if (refusal) return refuse(socket, HANDSHAKE_REFUSALS[refusal], refusal, `Connection refused: ${refusal}`);
    let principal: Principal | null = null;
    const { authorization } = request.headers;
    if (authorization !== undefined) {
      principal = await this.verifier.verify(bearerToken(authorization));
      if (!principal) return refuse(socket, 401, ErrorCode.UNAUTHORIZED, 'Invalid bearer token');
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      socket.off('error', ignoreError);
      this.opened(ws as PlainSocket, request, principal);
    });
  }
}
