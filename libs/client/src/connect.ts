import { JobcastClient, type BaseConnectOptions } from './jobcast-client';
import { plainWebSocketTransport } from './plain-websocket-connection';
import { socketIoTransport, type SocketIoTransports } from './socket-io-connection';
import type { WebSocketClass } from './web-socket-class';

export interface ConnectOptions extends BaseConnectOptions {
  /**
   * `socket.io` (the default) or `websocket`: the gateway's plain WebSocket endpoint (`/ws`), with the
   * platform's WebSocket, or `ws` in a Node that has none. A page that only ever uses `websocket` bundles
   * `@jobcast/client/websocket` instead, which leaves socket.io-client out.
   */
  transport?: 'socket.io' | 'websocket';
  /** Socket.IO transports, in order of preference (Socket.IO's default: polling, then upgrade to websocket). */
  transports?: SocketIoTransports;
  /** For `websocket`: the WebSocket class to use instead of the platform's. */
  WebSocket?: WebSocketClass;
}

/** Connects to the gateways and returns the client; watches can be opened right away. */
export function connect(options: ConnectOptions): JobcastClient {
  const transport =
    options.transport === 'websocket'
      ? plainWebSocketTransport(options.WebSocket)
      : socketIoTransport(options.transports);
  return new JobcastClient(options, transport);
}
