import type { MeasureWindow, StreamIntegrity } from '../metrics/event-stream';

/** What the orchestrator can ask of a socket-watchers load process (socket-watchers.ts). */
export interface SocketWatchersApi {
  /** Opens one more Socket.IO connection per URL (`<base>/jobs`), appended after the ones already open. */
  connect(params: ConnectParams): Promise<ConnectResult>;
  /** Subscribes sockets (by their index in this process) to jobs; each starts a new stream to check. */
  subscribe(params: SubscribeParams): Promise<SubscribeResult>;
  /** Sets the window in which deliveries, latency and offered events are counted. */
  measure(params: MeasureWindow): Promise<void>;
  /** Resolves once every stream got its terminal event, or the time is up. */
  awaitTerminals(params: { timeoutMs: number }): Promise<void>;
  /** What the streams saw; then forgets them and the window. */
  report(params: Record<string, never>): Promise<WatchersReport>;
  /** Disconnects every socket. */
  close(params: Record<string, never>): Promise<void>;
}

/** How a watcher talks to its server: Socket.IO (`/jobs`), or Jobcast's plain WebSocket (`/ws`, jobcast.v1). */
export type WatcherProtocol = 'socket.io' | 'plain-websocket';

export interface ConnectParams {
  urls: string[];
  /** @default 'socket.io' */
  protocol?: WatcherProtocol;
  /** JWT for the handshake's `auth.token`; the baselines take none. */
  token?: string;
  /**
   * Source addresses to spread the connections over (127.0.0.2, …) when one address's ephemeral ports
   * would not be enough; absent, the kernel picks 127.0.0.1 and a port per destination.
   */
  localAddresses?: string[];
}

export interface ConnectResult {
  connected: number;
  failed: number;
  /** A few of the errors, for the log. */
  errors: string[];
}

export interface SubscribeParams {
  /** [socket index in this process, job id]. */
  assignments: Array<[number, string]>;
}

export interface SubscribeResult {
  subscribed: number;
  failed: number;
  errors: string[];
}

export interface WatchersReport {
  /** Live events received inside the window. */
  delivered: number;
  /** Events published inside the window, summed over streams (each watcher of a job counts). */
  offered: number;
  /** Latency (receipt − `at`) of the live events received in the window, an encoded HDR histogram. */
  latency: string;
  integrity: StreamIntegrity;
  /** Disconnects by reason (the gateway's notice when it gave one). */
  disconnects: Record<string, number>;
}
