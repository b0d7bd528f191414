import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import { FEED_PAGE_SIZE } from '@jobcast/contracts';
import { JobFeeds } from '@jobcast/job-feeds';
import type { FeedIdentity } from '@jobcast/redis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { FeedRelay, type FeedRelayServices, type FeedSink } from './feed-relay';
import { LiveFeedUpdates } from './live-feed-updates';

/** Creates feed relays wired to this gateway's feed store and live feed updates. */
@Injectable()
export class FeedRelayFactory {
  private readonly services: FeedRelayServices;

  constructor(
    readonly feeds: JobFeeds,
    live: LiveFeedUpdates,
    @Inject(LOGGER) logger: Logger,
    metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.services = {
      feeds,
      live,
      logger,
      openRelays: metrics.subscriptions,
      // A page alone never makes a connection that reads a slow consumer, as for a job's log.
      pageSize: Math.min(FEED_PAGE_SIZE, Math.floor(config.SOCKET_MAX_PENDING_EVENTS / 2)),
      maxPending: config.SOCKET_MAX_PENDING_EVENTS,
    };
  }

  create(key: string, feed: FeedIdentity, since: string | undefined, sink: FeedSink): FeedRelay {
    return new FeedRelay(key, feed, since, this.services, sink);
  }
}
