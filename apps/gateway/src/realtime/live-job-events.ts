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

/**
 * How long after a fan-out pass the next may start, in multiples of the pass's own duration. 4: fan-out
 * takes at most a fifth of the gateway's time, leaving the rest to reads, subscribes and the kernel's own
 * work on the writes, which is what keeps a 1,000-watcher job's rate rising without the event loop lagging.
 * A pass to a handful of sockets takes microseconds, so at light load this adds nothing.
 */
const PASS_SPACING = 4;

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
}

/**
 * The gateway's one subscriber connection. It subscribes to a job's sharded channel while at least one
 * local watcher wants it, so a gateway receives only the jobs it serves, and it tells every watcher to
 * re-read the log whenever the connection comes back after a drop.
 *
 * Events go to watchers in fan-out passes, batched by load rather than by a fixed window. A pass runs as
 * soon as the event loop is free (setImmediate: after every read from Redis that is ready is parsed) and
 * sends each job everything that arrived for it since the last pass, as one burst. While the gateway keeps
 * up, a pass is cheap and every event goes out at once, alone. Once passes get costly (many watchers, fast
 * jobs), the next one waits PASS_SPACING times as long as the last one took, so fan-out takes at most a fifth
 * of the gateway's time, and what arrives meanwhile goes out together: a burst costs a socket one frame
 * however many events it holds, so bursts grow with the load instead of the backlog.
 */
@Injectable()
export class LiveJobEvents implements OnApplicationShutdown {
  private readonly subscriber: RedisClient;
  /** By channel name: what each message from Redis is looked up by. */
  private readonly channels = new Map<string, ChannelSubscription>();
  /** Jobs whose burst goes out in the next pass. */
  private due: ChannelSubscription[] = [];
  private passScheduled = false;
  /** When the next pass may start (performance.now()): PASS_SPACING times the last one's duration after it. */
  private nextPassAt = 0;

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
    this.due.push(subscription);
    if (!this.passScheduled) this.schedulePass();
  }

  private schedulePass(): void {
    this.passScheduled = true;
    const wait = this.nextPassAt - performance.now();
    if (wait >= 1) setTimeout(this.pass, wait);
    else setImmediate(this.pass);
  }

  private readonly pass = (): void => {
    this.passScheduled = false;
    const startedAt = performance.now();
    const due = this.due;
    this.due = [];
    const now = Date.now();
    for (const subscription of due) this.send(subscription, now);
    const endedAt = performance.now();
    this.nextPassAt = endedAt + PASS_SPACING * (endedAt - startedAt);
  };

  private send(subscription: ChannelSubscription, now: number): void {
    const events = subscription.burst;
    if (!events) return;
    subscription.burst = undefined;
    this.metrics.recordFanOut(events, now);
    for (const listener of subscription.listeners) listener.onEvents(events);
  }
}
