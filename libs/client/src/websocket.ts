/**
 * `@jobcast/client/websocket`: the typed client over the plain WebSocket only, for pages that want the
 * smallest bundle (no socket.io-client). The same client, watches and errors as the main entry.
 */
import { JobcastClient, type BaseConnectOptions } from './jobcast-client';
import { plainWebSocketTransport } from './plain-websocket-connection';
import type { WebSocketClass } from './web-socket-class';

export { applyEvent } from './apply-event';
export type { ConnectionState, JobcastClient, StateListener } from './jobcast-client';
export { ClientErrorCode, JobcastError } from './jobcast-error';
export type { JobOutput } from './job-output';
export type { JobWatch, WatchOptions } from './job-watch';

export interface ConnectOptions extends BaseConnectOptions {
  /** The WebSocket class to use instead of the platform's (or `ws` in a Node that has none). */
  WebSocket?: WebSocketClass;
}

/** Connects to the gateways' plain WebSocket endpoints and returns the client. */
export function connect(options: ConnectOptions): JobcastClient {
  return new JobcastClient(options, plainWebSocketTransport(options.WebSocket));
}
