import {
  DisconnectReason,
  ErrorCode,
  JOBS_NAMESPACE,
  JobEventSchema,
  SocketEvent,
  type DisconnectNotice,
  type SocketAuth,
} from '@jobcast/contracts';
import { io } from 'socket.io-client';
import { JobSubscription, type JobsSocket, type SubscriptionHost } from './job-subscription';
import type { JobWatch, WatchOptions } from './job-watch';
import { ClientErrorCode, JobcastError } from './jobcast-error';
import { callListener } from './listeners';
import { backoffDelay, ReconnectPolicy, type Backoff } from './reconnect-policy';

export interface ConnectOptions {
  /** Gateway base URLs (`https://host:port`), tried round robin. */
  urls: string[];
  /** A JWT, or a function giving one; the function is called again before every (re)connect. */
  token: string | (() => string | Promise<string>);
  /** Socket.IO transports, in order of preference (Socket.IO's default: polling, then upgrade to websocket). */
  transports?: ('websocket' | 'polling')[];
  /** Delay before the first reconnect; it doubles per failed attempt. @default 500 */
  reconnectDelayMs?: number;
  /** Cap on the reconnect delay. @default 5000 */
  maxReconnectDelayMs?: number;
  /** How long to wait for the gateway to answer a request before sending it again. @default 10000 */
  ackTimeoutMs?: number;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/**
 * Called when the state or the gateway changes: `connecting` until the first connection, `reconnecting`
 * after a drop; `url` is the gateway being tried, or the one connected to. `notice` is why the gateway
 * dropped the connection when it said so (`SHUTTING_DOWN`, `SLOW_CONSUMER`), on the `reconnecting` that
 * follows.
 */
export type StateListener = (state: ConnectionState, url?: string, notice?: DisconnectNotice) => void;

/** Connects to the gateways and returns the client; watches can be opened right away. */
export function connect(options: ConnectOptions): JobcastClient {
  return new JobcastClient(options);
}

/**
 * A resuming connection to Jobcast's gateways. It does its own reconnecting rather than Socket.IO's so
 * that each attempt can go to the next gateway with a freshly fetched token, and it subscribes every
 * open watch again on every new connection, from the last seq that watch delivered.
 */
export class JobcastClient {
  private readonly policy: ReconnectPolicy;
  private readonly backoff: Backoff;
  private readonly subscriptions = new Map<string, JobSubscription>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly host: SubscriptionHost;
  private socket: JobsSocket | undefined;
  private connectedTo: string | undefined;
  private connectionState: ConnectionState = 'connecting';
  /** The URL last reported with the state. */
  private stateUrl: string | undefined;
  private hasConnected = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Handshakes refused as UNAUTHORIZED since the last successful connect; once there are as many as
   * URLs, each gateway has had a chance with a freshly fetched token, and the token is hopeless.
   */
  private refusedHandshakes = 0;
  /**
   * 'pending' while reconnecting because a subscribe said UNAUTHORIZED; 'fresh' on the connection that
   * follows until a subscribe succeeds on it, since a refusal then means a new token does not help.
   */
  private tokenRefresh: 'none' | 'pending' | 'fresh' = 'none';
  /** Why the client closed, for the watches opened afterwards. */
  private closedBy: JobcastError | undefined;
  /** What the gateway said before dropping the current socket, if it said anything. */
  private notice: DisconnectNotice | undefined;

  constructor(private readonly options: ConnectOptions) {
    this.backoff = { baseMs: options.reconnectDelayMs ?? 500, maxMs: options.maxReconnectDelayMs ?? 5000 };
    this.policy = new ReconnectPolicy(options.urls, this.backoff);
    this.host = {
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      retryDelay: (attempt) => backoffDelay(attempt, this.backoff),
      refreshToken: () => this.refreshToken(),
      tokenAccepted: () => {
        this.tokenRefresh = 'none';
      },
      release: (subscription, unsubscribe) => this.release(subscription, unsubscribe),
    };
    void this.open();
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  /** The gateway the client is connected to now, if any. */
  get connectedUrl(): string | undefined {
    return this.connectedTo;
  }

  /** Watches a job from `afterSeq` on (default: from its first event). */
  watch(jobId: string, options: WatchOptions = {}): JobWatch {
    let subscription = this.subscriptions.get(jobId);
    if (!subscription) {
      subscription = new JobSubscription(jobId, this.host);
      this.subscriptions.set(jobId, subscription);
      if (this.socket?.connected) subscription.attach(this.socket);
    }
    const watch = subscription.watch(options.afterSeq ?? 0);
    // A closed client still hands out a watch, already failed with the reason it closed (e.g. UNAUTHORIZED).
    if (this.closedBy) subscription.fail(this.closedBy);
    return watch;
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Disconnects for good; open watches reject `done` with `CLOSED`. */
  close(): void {
    this.shutdown(new JobcastError(ClientErrorCode.CLOSED, 'The client was closed'));
  }

  private async open(): Promise<void> {
    const url = this.policy.url;
    let token: string;
    try {
      token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    } catch {
      // Like an unreachable gateway: the token source may be back on the next attempt.
      if (!this.closedBy) this.retry();
      return;
    }
    if (this.closedBy) return;
    const socket: JobsSocket = io(url.replace(/\/+$/, '') + JOBS_NAMESPACE, {
      forceNew: true,
      reconnection: false,
      // Batches: a burst of a job's events costs one packet instead of one each.
      auth: { token, batch: true } satisfies SocketAuth,
      ...(this.options.transports && { transports: this.options.transports }),
    });
    this.socket = socket;
    socket.on('connect', () => this.onConnect(socket, url));
    socket.on('connect_error', (error) => this.onConnectError(socket, error));
    socket.on('disconnect', () => this.onDisconnect(socket));
    socket.on(SocketEvent.DISCONNECT_NOTICE, (notice) => {
      if (socket === this.socket) this.notice = parseNotice(notice);
    });
    socket.on(SocketEvent.JOB_EVENT, (raw) => this.route(raw));
    socket.on(SocketEvent.JOB_EVENTS, (burst) => {
      if (Array.isArray(burst)) for (const raw of burst as unknown[]) this.route(raw);
    });
  }

  private onConnect(socket: JobsSocket, url: string): void {
    if (socket !== this.socket) return;
    this.policy.reset();
    this.refusedHandshakes = 0;
    this.hasConnected = true;
    this.tokenRefresh = this.tokenRefresh === 'pending' ? 'fresh' : 'none';
    this.connectedTo = url;
    this.setState('connected', url);
    for (const subscription of [...this.subscriptions.values()]) subscription.attach(socket);
  }

  private onConnectError(socket: JobsSocket, error: Error): void {
    if (socket !== this.socket) return;
    this.dropSocket();
    if (error.message === ErrorCode.UNAUTHORIZED && ++this.refusedHandshakes >= this.options.urls.length) {
      this.shutdown(new JobcastError(ErrorCode.UNAUTHORIZED, 'Every gateway refused the token'));
      return;
    }
    this.retry();
  }

  /**
   * Any drop — network, a gateway shutting down (SHUTTING_DOWN), one shedding a slow consumer
   * (SLOW_CONSUMER) — is handled alike: reconnect, to the next gateway first (the one that is going away,
   * or found this client too slow, is the worst to try again at once), and resume every watch. The
   * gateway's `gateway:disconnect` notice only tells the state listeners why.
   */
  private onDisconnect(socket: JobsSocket): void {
    if (socket !== this.socket) return;
    const notice = this.notice;
    this.dropSocket();
    this.retry(notice);
  }

  private retry(notice?: DisconnectNotice): void {
    const delay = this.policy.next();
    this.setState(this.hasConnected ? 'reconnecting' : 'connecting', this.policy.url, notice);
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  /** A subscribe was refused as UNAUTHORIZED (the token expired since the handshake): reconnect with a new one, once. */
  private refreshToken(): boolean {
    if (this.tokenRefresh === 'fresh' || this.closedBy) return false;
    this.tokenRefresh = 'pending';
    this.dropSocket();
    clearTimeout(this.reconnectTimer);
    this.setState('reconnecting', this.policy.url);
    void this.open();
    return true;
  }

  private route(raw: unknown): void {
    const parsed = JobEventSchema.safeParse(raw);
    // A malformed event is dropped; the next good one shows the gap, and the re-read brings it back.
    if (parsed.success) this.subscriptions.get(parsed.data.jobId)?.receive(parsed.data);
  }

  private release(subscription: JobSubscription, unsubscribe: boolean): void {
    if (this.subscriptions.get(subscription.jobId) !== subscription) return;
    this.subscriptions.delete(subscription.jobId);
    if (unsubscribe && this.socket?.connected) this.unsubscribe(this.socket, subscription.jobId);
  }

  private unsubscribe(socket: JobsSocket, jobId: string): void {
    socket.timeout(this.host.ackTimeoutMs).emit(SocketEvent.UNSUBSCRIBE, { jobId }, (error) => {
      // Ask again only while nothing watches the job anew, or the retry would end the new subscription.
      if (error && socket === this.socket && socket.connected && !this.subscriptions.has(jobId))
        this.unsubscribe(socket, jobId);
    });
  }

  private dropSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.connectedTo = undefined;
    this.notice = undefined;
    for (const subscription of this.subscriptions.values()) subscription.detach();
    socket.removeAllListeners();
    socket.disconnect();
  }

  private shutdown(reason: JobcastError): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    clearTimeout(this.reconnectTimer);
    this.dropSocket();
    for (const subscription of [...this.subscriptions.values()]) subscription.fail(reason);
    this.setState('closed');
  }

  private setState(state: ConnectionState, url?: string, notice?: DisconnectNotice): void {
    if (state === this.connectionState && url === this.stateUrl) return;
    this.connectionState = state;
    this.stateUrl = url;
    for (const listener of [...this.stateListeners]) callListener(listener, state, url, notice);
  }
}

const DISCONNECT_REASONS: ReadonlySet<unknown> = new Set(Object.values(DisconnectReason));

/** The gateway's notice, if it is one this client understands; anything else counts as no notice. */
function parseNotice(raw: unknown): DisconnectNotice | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { reason, message } = raw as Record<string, unknown>;
  return DISCONNECT_REASONS.has(reason) && typeof message === 'string'
    ? { reason: reason as DisconnectReason, message }
    : undefined;
}
