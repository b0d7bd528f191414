import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { JobEvent } from '@jobcast/contracts';
import {
  RedisKeys,
  createRedisConnection,
  onSubscriptionsRestored,
  toRedisConfig,
  type RedisClient,
} from '@jobcast/redis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { rememberJson } from './encoded-events';

/** Receives a job's events as they are published. */
export interface LiveEventListener {
  /** Events of the job that arrived together, in the order they were published (seq order). */
  onEvents(events: readonly JobEvent[]): void;
  /** The live feed was interrupted (Redis reconnect): events may have been missed, re-read the log. */
  onResync(): void;
}

interface ChannelSubscription {
  listeners: Set<LiveEventListener>;
  /** Resolves once Redis confirmed the subscription: only then can a listener rely on the live feed. */
  ready: Promise<unknown>;
}

/**
 * The gateway's one subscriber connection. It subscribes to a job's sharded channel while at least one
 * local watcher wants it, so a gateway receives only the jobs it serves, and it tells every watcher to
 * re-read the log whenever the connection comes back after a drop.
 *
 * Events are fanned out per burst: everything one read from Redis brought for a job goes to its watchers
 * together, once that read is parsed (a microtask later, so nothing waits for a timer). When the gateway
 * keeps up, a burst is one event; when it falls behind, bursts grow and each costs a socket one frame.
 */
@Injectable()
export class LiveJobEvents implements OnApplicationShutdown {
  private readonly subscriber: RedisClient;
  private readonly channels = new Map<string, ChannelSubscription>();
  private readonly jobIdByChannel = new Map<string, string>();
  /** Events read but not yet fanned out, by job. */
  private burst = new Map<string, JobEvent[]>();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    private readonly metrics: GatewayMetrics,
  ) {
    this.subscriber = createRedisConnection(toRedisConfig(config), { name: 'jobcast-gateway-live' });
    this.subscriber.on('smessage', (channel: string, message: string) => this.receive(channel, message));
    this.subscriber.on('error', (error: Error) =>
      this.logger.warn({ err: error.message }, 'live feed connection error'),
    );
    this.subscriber.on('reconnecting', () => metrics.redisReconnects.inc({ connection: 'live' }));
    // The channels are subscribed again by then (on a Cluster too, where one master's subscriber connection
    // can drop alone), so a re-read from here on misses nothing.
    onSubscriptionsRestored(this.subscriber, () => {
      if (this.channels.size === 0) return;
      this.logger.info({ jobs: this.channels.size }, 'live feed back; watchers re-read their logs');
      for (const { listeners } of this.channels.values()) for (const listener of listeners) listener.onResync();
    });
  }

  /** Starts delivering the job's events to the listener; resolves once the feed is live. */
  async watch(jobId: string, listener: LiveEventListener): Promise<void> {
    let subscription = this.channels.get(jobId);
    if (!subscription) {
      const channel = this.keys.jobChannel(jobId);
      this.jobIdByChannel.set(channel, jobId);
      subscription = { listeners: new Set(), ready: this.subscriber.ssubscribe(channel) };
      this.channels.set(jobId, subscription);
    }
    subscription.listeners.add(listener);
    await subscription.ready;
  }

  unwatch(jobId: string, listener: LiveEventListener): void {
    const subscription = this.channels.get(jobId);
    if (!subscription?.listeners.delete(listener) || subscription.listeners.size > 0) return;
    this.channels.delete(jobId);
    const channel = this.keys.jobChannel(jobId);
    this.jobIdByChannel.delete(channel);
    this.subscriber
      .sunsubscribe(channel)
      .catch((error: unknown) => this.logger.debug({ err: error, jobId }, 'unsubscribe failed'));
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  private receive(channel: string, message: string): void {
    const jobId = this.jobIdByChannel.get(channel);
    if (jobId === undefined) return;
    const event = JSON.parse(message) as JobEvent;
    rememberJson(event, message);
    const events = this.burst.get(jobId);
    if (events) {
      events.push(event);
      return;
    }
    if (this.burst.size === 0) queueMicrotask(this.fanOut);
    this.burst.set(jobId, [event]);
  }

  private readonly fanOut = (): void => {
    const burst = this.burst;
    this.burst = new Map();
    const now = Date.now();
    for (const [jobId, events] of burst) {
      const listeners = this.channels.get(jobId)?.listeners;
      if (!listeners) continue;
      this.metrics.recordFanOut(events, now);
      for (const listener of listeners) listener.onEvents(events);
    }
  };
}
