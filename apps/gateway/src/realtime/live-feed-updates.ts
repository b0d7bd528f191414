import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { decodeFeedUpdate, type FeedUpdate } from '@jobcast/job-feeds';
import {
  RedisKeys,
  createRedisConnection,
  onSubscriptionsRestored,
  toRedisConfig,
  type FeedIdentity,
  type RedisClient,
} from '@jobcast/redis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';

/** Receives a feed's changes as they are published. */
export interface FeedUpdateListener {
  onUpdate(update: FeedUpdate): void;
  /** The live feed was interrupted (Redis reconnect): changes may have been missed, re-read the feed. */
  onResync(): void;
}

interface FeedChannel {
  feed: FeedIdentity;
  listeners: Set<FeedUpdateListener>;
  /** Resolves once Redis confirmed the subscription: only then can a listener rely on the live feed. */
  ready: Promise<unknown>;
}

/**
 * The gateway's subscriber of feed channels: it subscribes to a feed's sharded channel while at least one
 * local subscriber wants it, decodes each change once for all of them, and tells every one to re-read the
 * feed whenever the connection comes back after a drop. A connection of its own, beside LiveJobEvents', so
 * that feeds add nothing to the path of a job's own watchers.
 */
@Injectable()
export class LiveFeedUpdates implements OnApplicationShutdown {
  private readonly subscriber: RedisClient;
  private readonly channels = new Map<string, FeedChannel>();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    metrics: GatewayMetrics,
  ) {
    this.subscriber = createRedisConnection(toRedisConfig(config), { name: 'jobcast-gateway-feeds' });
    this.subscriber.on('smessage', (channel: string, message: string) => this.receive(channel, message));
    this.subscriber.on('error', (error: Error) =>
      this.logger.warn({ err: error.message }, 'live feed updates connection error'),
    );
    this.subscriber.on('reconnecting', () => metrics.redisReconnects.inc({ connection: 'feeds' }));
    onSubscriptionsRestored(this.subscriber, () => {
      for (const { listeners } of this.channels.values()) for (const listener of listeners) listener.onResync();
    });
  }

  /** Starts delivering the feed's changes to the listener; resolves once they are live. */
  async watch(feed: FeedIdentity, listener: FeedUpdateListener): Promise<void> {
    const channel = this.keys.feedChannel(feed);
    let subscription = this.channels.get(channel);
    if (!subscription) {
      subscription = { feed, listeners: new Set(), ready: this.subscriber.ssubscribe(channel) };
      this.channels.set(channel, subscription);
    }
    subscription.listeners.add(listener);
    await subscription.ready;
  }

  unwatch(feed: FeedIdentity, listener: FeedUpdateListener): void {
    const channel = this.keys.feedChannel(feed);
    const subscription = this.channels.get(channel);
    if (!subscription?.listeners.delete(listener) || subscription.listeners.size > 0) return;
    this.channels.delete(channel);
    this.subscriber
      .sunsubscribe(channel)
      .catch((error: unknown) => this.logger.debug({ err: error, channel }, 'feed unsubscribe failed'));
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  private receive(channel: string, message: string): void {
    const subscription = this.channels.get(channel);
    if (!subscription) return;
    let update: FeedUpdate;
    try {
      update = decodeFeedUpdate(subscription.feed, message);
    } catch (error) {
      // A message it cannot read is a change it missed: the feed is read again.
      this.logger.warn({ err: error, channel }, 'unreadable feed update');
      for (const listener of subscription.listeners) listener.onResync();
      return;
    }
    for (const listener of subscription.listeners) listener.onUpdate(update);
  }
}
