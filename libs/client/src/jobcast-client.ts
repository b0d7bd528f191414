import { ErrorCode, type DisconnectNotice, type Feed } from '@jobcast/contracts/protocol';
import type { GatewayConnection, Transport } from './gateway-connection';
import { feedKey, JobFeed, type FeedHost, type FeedOptions } from './job-feed';
import { JobSubscription, type SubscriptionHost } from './job-subscription';
import type { JobWatch, WatchOptions } from './job-watch';
import { ClientErrorCode, JobcastError } from './jobcast-error';
import { callListener } from './listeners';
import { backoffDelay, ReconnectPolicy, type Backoff } from './reconnect-policy';
import { isJobEvent } from './wire-checks';

/** What every transport's `connect` takes. */
export interface BaseConnectOptions {
  /** Gateway base URLs (`https://host:port`), tried round robin. */
  urls: string[];
  /** A JWT, or a function giving one; the function is called again before every (re)connect. */
  token: string | (() => string | Promise<string>);
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

/**
 * A resuming connection to Jobcast's gateways, over whichever transport it was made with. It does its own
 * reconnecting so that each attempt can go to the next gateway with a freshly fetched token, and it
 * subscribes every open watch again on every new connection, from the last seq that watch delivered.
 */
export class JobcastClient {
  private readonly policy: ReconnectPolicy;
  private readonly backoff: Backoff;
  private readonly subscriptions = new Map<string, JobSubscription>();
  private readonly feeds = new Map<string, JobFeed>();
  private readonly feedHost: FeedHost;
  private readonly stateListeners = new Set<StateListener>();
  private readonly host: SubscriptionHost;
  private connection: GatewayConnection | undefined;
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

  constructor(
    private readonly options: BaseConnectOptions,
    private readonly transport: Transport,
  ) {
    this.backoff = { baseMs: options.reconnectDelayMs ?? 500, maxMs: options.maxReconnectDelayMs ?? 5000 };
    this.policy = new ReconnectPolicy(options.urls, this.backoff);
    // What job subscriptions and feeds share of the client.
    const retryDelay = (attempt: number): number => backoffDelay(attempt, this.backoff);
    const refreshToken = (): boolean => this.refreshToken();
    const tokenAccepted = (): void => {
      this.tokenRefresh = 'none';
    };
    this.host = {
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      retryDelay,
      refreshToken,
      tokenAccepted,
      release: (subscription, unsubscribe) => this.release(subscription, unsubscribe),
    };
    this.feedHost = {
      ackTimeoutMs: this.host.ackTimeoutMs,
      retryDelay,
      refreshToken,
      tokenAccepted,
      releaseFeed: (feed, unsubscribe) => this.releaseFeed(feed, unsubscribe),
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
      if (this.connection?.connected) subscription.attach(this.connection);
    }
    const watch = subscription.watch(options.afterSeq ?? 0);
    // A closed client still hands out a watch, already failed with the reason it closed (e.g. UNAUTHORIZED).
    if (this.closedBy) subscription.fail(this.closedBy);
    return watch;
  }

  /**
   * A live view of many jobs: `{owner: "me"}`, `{tag}`, `{batch}` (docs/protocol.md, "Feeds"). One per feed
   * shape: asking again for an open one answers it.
   */
  feed(feed: Feed, options: FeedOptions = {}): JobFeed {
    const key = feedKey(feed) ?? '';
    const open = this.feeds.get(key);
    if (open) return open;
    const created = new JobFeed(feed, key, options, this.feedHost);
    if (this.closedBy) {
      created.fail(this.closedBy);
      return created;
    }
    this.feeds.set(key, created);
    if (this.connection?.connected) created.attach(this.connection);
    return created;
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
    const connection: GatewayConnection = this.transport(url, token, {
      connected: () => this.onConnect(connection, url),
      refused: (code) => this.onConnectError(connection, code),
      disconnected: (notice) => this.onDisconnect(connection, notice),
      event: (raw) => {
        if (connection === this.connection) this.route(raw);
      },
      feedJobs: (raw) => {
        const key = connection === this.connection ? feedKey((raw as { feed?: unknown } | null)?.feed) : undefined;
        if (key !== undefined) this.feeds.get(key)?.receive(raw);
      },
    });
    this.connection = connection;
  }

  private onConnect(connection: GatewayConnection, url: string): void {
    if (connection !== this.connection) return;
    this.policy.reset();
    this.refusedHandshakes = 0;
    this.hasConnected = true;
    this.tokenRefresh = this.tokenRefresh === 'pending' ? 'fresh' : 'none';
    this.connectedTo = url;
    this.setState('connected', url);
    for (const subscription of [...this.subscriptions.values()]) subscription.attach(connection);
    for (const feed of [...this.feeds.values()]) feed.attach(connection);
  }

  private onConnectError(connection: GatewayConnection, code: string): void {
    if (connection !== this.connection) return;
    this.dropConnection();
    if (code === ErrorCode.UNAUTHORIZED && ++this.refusedHandshakes >= this.options.urls.length) {
      this.shutdown(new JobcastError(ErrorCode.UNAUTHORIZED, 'Every gateway refused the token'));
      return;
    }
    this.retry();
  }

  /**
   * Any drop — network, a gateway shutting down (SHUTTING_DOWN), one shedding a slow consumer
   * (SLOW_CONSUMER) — is handled alike: reconnect, to the next gateway first (the one that is going away,
   * or found this client too slow, is the worst to try again at once), and resume every watch. The
   * gateway's disconnect notice only tells the state listeners why.
   */
  private onDisconnect(connection: GatewayConnection, notice: DisconnectNotice | undefined): void {
    if (connection !== this.connection) return;
    this.dropConnection();
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
    this.dropConnection();
    clearTimeout(this.reconnectTimer);
    this.setState('reconnecting', this.policy.url);
    void this.open();
    return true;
  }

  private route(raw: unknown): void {
    // A malformed event is dropped; the next good one shows the gap, and the re-read brings it back.
    if (isJobEvent(raw)) this.subscriptions.get(raw.jobId)?.receive(raw);
  }

  private release(subscription: JobSubscription, unsubscribe: boolean): void {
    if (this.subscriptions.get(subscription.jobId) !== subscription) return;
    this.subscriptions.delete(subscription.jobId);
    if (unsubscribe && this.connection?.connected) this.unsubscribe(this.connection, subscription.jobId);
  }

  private releaseFeed(feed: JobFeed, unsubscribe: boolean): void {
    if (this.feeds.get(feed.key) !== feed) return;
    this.feeds.delete(feed.key);
    if (unsubscribe && this.connection?.connected)
      this.connection.unsubscribeFeed(feed.feed, this.host.ackTimeoutMs, () => undefined);
  }

  private unsubscribe(connection: GatewayConnection, jobId: string): void {
    connection.unsubscribe(jobId, this.host.ackTimeoutMs, (confirmed) => {
      // Ask again only while nothing watches the job anew, or the retry would end the new subscription.
      if (!confirmed && connection === this.connection && connection.connected && !this.subscriptions.has(jobId))
        this.unsubscribe(connection, jobId);
    });
  }

  private dropConnection(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    this.connectedTo = undefined;
    for (const subscription of this.subscriptions.values()) subscription.detach();
    for (const feed of this.feeds.values()) feed.detach();
    connection.close();
  }

  private shutdown(reason: JobcastError): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    clearTimeout(this.reconnectTimer);
    this.dropConnection();
    for (const subscription of [...this.subscriptions.values()]) subscription.fail(reason);
    for (const feed of [...this.feeds.values()]) feed.fail(reason);
    this.setState('closed');
  }

  private setState(state: ConnectionState, url?: string, notice?: DisconnectNotice): void {
    if (state === this.connectionState && url === this.stateUrl) return;
    this.connectionState = state;
    this.stateUrl = url;
    for (const listener of [...this.stateListeners]) callListener(listener, state, url, notice);
  }
}
