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
import { rememberJson } from './event-json';

/** Receives a job's events as they are published. */
export interface LiveEventListener {
  /** Events of the job that arrived together, in the order they were published (seq order). */
  onEvents(events: readonly JobEvent[]): void;
  /** The live feed was interrupted (Redis reconnect): events may have been missed, re-read the log. */
  onResync(): void;
}

interface ChannelSubscription {
  jobId: string;
  listeners: Set<LiveEventListener>;
  /** Resolves once Redis confirmed the subscription: only then can a listener rely on the live feed. */
  ready: Promise<unknown>;
  /** Events read but not yet sent to the listeners. */
  burst: JobEvent[] | undefined;
  /** When the last burst went out (ms since epoch). */
  sentAt: number;
  /** Holds a burst back until 1/FANOUT_MAX_HZ after the previous one. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * The gateway's one subscriber connection. It subscribes to a job's sharded channel while at least one
 * local watcher wants it, so a gateway receives only the jobs it serves, and it tells every watcher to
 * re-read the log whenever the connection comes back after a drop.
 *
 * Events go to a job's watchers in bursts: everything that arrived for the job since its last burst, once
 * the read from Redis that brought it is parsed (process.nextTick), but no sooner than 1/FANOUT_MAX_HZ
 * after the job's previous burst. A job slower than FANOUT_MAX_HZ, the usual case, has every event go out
 * at once, alone; a faster one, or any job while the gateway falls behind, has several go out together,
 * and a burst costs a socket one frame however many events it holds.
 */
@Injectable()
export class LiveJobEvents implements OnApplicationShutdown {
  private readonly subscriber: RedisClient;
  /** By channel name: what each message from Redis is looked up by. */
  private readonly channels = new Map<string, ChannelSubscription>();
  /** Jobs whose burst goes out once the current read from Redis is parsed. */
  private due: ChannelSubscription[] = [];
  private readonly burstIntervalMs: number;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    private readonly metrics: GatewayMetrics,
  ) {
    this.burstIntervalMs = 1000 / config.FANOUT_MAX_HZ;
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

  /** The job id as this feed holds it while the job is watched (one string for all its watchers). */
  sharedJobId(jobId: string): string {
    return this.channels.get(this.keys.jobChannel(jobId))?.jobId ?? jobId;
  }

  /** Starts delivering the job's events to the listener; resolves once the feed is live. */
  async watch(jobId: string, listener: LiveEventListener): Promise<void> {
    const channel = this.keys.jobChannel(jobId);
    let subscription = this.channels.get(channel);
    if (!subscription) {
      subscription = {
        jobId,
        listeners: new Set(),
        ready: this.subscriber.ssubscribe(channel),
        burst: undefined,
        sentAt: 0,
        timer: undefined,
      };
      this.channels.set(channel, subscription);
    }
    subscription.listeners.add(listener);
    await subscription.ready;
  }

  unwatch(jobId: string, listener: LiveEventListener): void {
    const channel = this.keys.jobChannel(jobId);
    const subscription = this.channels.get(channel);
    if (!subscription?.listeners.delete(listener) || subscription.listeners.size > 0) return;
    this.channels.delete(channel);
    clearTimeout(subscription.timer);
    this.subscriber
      .sunsubscribe(channel)
      .catch((error: unknown) => this.logger.debug({ err: error, jobId }, 'unsubscribe failed'));
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  private receive(channel: string, message: string): void {
    const subscription = this.channels.get(channel);
    if (!subscription) return;
    const event = JSON.parse(message) as JobEvent;
    rememberJson(event, message);
    if (subscription.burst) {
      subscription.burst.push(event);
      return;
    }
    subscription.burst = [event];
    const wait = subscription.sentAt + this.burstIntervalMs - Date.now();
    if (wait > 0) {
      subscription.timer = setTimeout(() => this.send(subscription), wait);
      return;
    }
    if (this.due.length === 0) process.nextTick(this.sendDue);
    this.due.push(subscription);
  }

  private readonly sendDue = (): void => {
    const due = this.due;
    this.due = [];
    for (const subscription of due) this.send(subscription);
  };

  private send(subscription: ChannelSubscription): void {
    const events = subscription.burst;
    if (!events) return;
    subscription.burst = undefined;
    subscription.timer = undefined;
    subscription.sentAt = Date.now();
    this.metrics.recordFanOut(events, subscription.sentAt);
    for (const listener of subscription.listeners) listener.onEvents(events);
  }
}
