import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  type ErrorAck,
  type Feed,
  type FeedSubscribeAck,
  type FeedSubscribeRequest,
  type JobEvent,
  type SubscribeAck,
  type SubscribeRequest,
} from '@jobcast/contracts';
import { FeedCursorError } from '@jobcast/job-feeds';
import type { Logger } from 'pino';
import { mayReadJob, readAccessOf, readFeed, sameReadAccess } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import {
  allSubscriptions,
  countSubscriptions,
  subscriptionOf,
  withSubscription,
  withoutSubscription,
} from './connection-subscriptions';
import type { FeedDelivery, FeedSink } from './feed-relay';
import { FeedRelayFactory } from './feed-relay.factory';
import type { RelaySink } from './job-relay';
import { JobRelayFactory } from './job-relay.factory';
import type { Outbox } from './outbox';
import { errorAck } from './subscribe-acks';
import { SubscribeRate } from './subscribe-rate';
import type { Subscription } from './subscription';
import { TokenExpiry } from './token-expiry';
import type { Watcher } from './watcher';

/** A transport as the core reaches it: its outbox, and what it does once a subscription has ended by itself. */
export interface SubscriberTransport<Peer extends object> {
  readonly outbox: Outbox<Peer>;
  /**
   * Called in line with the peer's events, after the last one of a subscription that ended by itself (its job's
   * terminal event went out). SSE ends its stream here, since a stream is one subscription; a socket stays.
   */
  readonly subscriptionEnded?: (peer: Peer) => void;
}

/**
 * Where a subscription delivers: its transport's outbox. A class rather than closures: it lives as long as
 * the subscription, and must hold neither the subscribe request nor its answer.
 */
class OutboxSink<Peer extends object> implements RelaySink {
  constructor(
    private readonly transport: SubscriberTransport<Peer>,
    private readonly peer: Peer,
    private readonly watcher: Watcher,
    private readonly key: string,
  ) {}

  deliver(events: readonly JobEvent[]): void {
    this.transport.outbox.deliver(this.peer, events);
  }

  finish(): void {
    forgetEnded(this.watcher, this.key);
    const { subscriptionEnded } = this.transport;
    if (subscriptionEnded) this.transport.outbox.answer(this.peer, () => subscriptionEnded(this.peer));
  }

  whenWritable(): Promise<void> | undefined {
    return this.transport.outbox.whenWritable(this.peer);
  }
}

/**
 * Where a feed's subscription delivers: its transport's outbox, each update as a message the transport makes
 * (`send`), weighed as the jobs it carries.
 */
class FeedOutboxSink<Peer extends object> implements FeedSink {
  constructor(
    private readonly transport: SubscriberTransport<Peer>,
    private readonly peer: Peer,
    private readonly send: (delivery: FeedDelivery) => void,
  ) {}

  deliver(delivery: FeedDelivery): void {
    this.transport.outbox.answer(this.peer, () => this.send(delivery), delivery.jobs.length);
  }

  whenWritable(): Promise<void> | undefined {
    return this.transport.outbox.whenWritable(this.peer);
  }

  overflow(): void {
    this.transport.outbox.overflow(this.peer);
  }
}

/**
 * A feed's subscription key: no job id takes it (job ids are only `A-Z a-z 0-9 _ -`), and an unsubscribe
 * naming the feed as the subscribe did finds it.
 */
export function feedKey(feed: Feed): string {
  if ('owner' in feed) return `feed owner ${feed.owner}`;
  if ('tag' in feed) return `feed tag ${feed.tag}`;
  return `feed batch ${feed.batch}`;
}

/** Drops the connection's subscription of the key once it has ended; a newer, open one stays. */
function forgetEnded(watcher: Watcher, key: string): void {
  if (subscriptionOf(watcher.subscriptions, key)?.isOpen === false) {
    watcher.subscriptions = withoutSubscription(watcher.subscriptions, key);
  }
}

/**
 * The delivery core's one subscription path, for every transport: admitting a connection's token, the rules of
 * subscribing (a token still valid, SOCKET_SUBSCRIBE_RATE, SOCKET_MAX_SUBSCRIPTIONS, read access), one
 * subscription per key per connection (a newer subscribe replacing an older one), unsubscribing, and the sink
 * a subscription delivers through. Transports parse their own request shapes and turn the answers into their
 * own frames. Access is decided here and only here, through auth/access-policy.
 */
@Injectable()
export class Subscriptions {
  private readonly subscribeRate: SubscribeRate;

  constructor(
    private readonly relayFactory: JobRelayFactory,
    private readonly feedRelays: FeedRelayFactory,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
    private readonly tokenExpiry: TokenExpiry,
  ) {
    this.subscribeRate = new SubscribeRate(config.SOCKET_SUBSCRIBE_RATE);
  }

  /** Fills in a new connection's fields (in its own fields, always in this order) for a verified token. */
  admit(watcher: Watcher, principal: Principal): void {
    watcher.reader = readAccessOf(principal);
    watcher.expiresAtS = Math.floor(principal.expiresAt / 1000);
    watcher.subscriptions = undefined;
    watcher.subscribeAt = this.subscribeRate.initial;
  }

  /** A fresh token for a connection already admitted: it must read what the first one did. */
  renew(watcher: Watcher, principal: Principal): boolean {
    if (!sameReadAccess(readAccessOf(principal), watcher.reader)) return false;
    watcher.expiresAtS = Math.floor(principal.expiresAt / 1000);
    return true;
  }

  /**
   * Watches a job for the connection. `answer` is called once, through the connection's outbox (in line with
   * its events, and counted toward its bound): with the snapshot and the first page of the backlog (`reset`
   * when the log could not give all of it, `more` when the backlog goes on), or an error. The rest of the
   * backlog and the live events follow it.
   */
  async subscribeJob<Peer extends object>(
    watcher: Watcher,
    peer: Peer,
    transport: SubscriberTransport<Peer>,
    request: SubscribeRequest,
    answer: (ack: SubscribeAck) => void,
  ): Promise<void> {
    const { outbox } = transport;
    const reply = (ack: SubscribeAck): void => outbox.answer(peer, () => answer(ack), ack.ok ? ack.events.length : 0);
    const refusal = this.refusal(watcher, request.jobId);
    if (refusal) return reply(refusal);
    // The job id every relay of the job shares, rather than one copy per subscribe request.
    const jobId = this.relayFactory.sharedJobId(request.jobId);
    const relay = this.relayFactory.create(
      jobId,
      request.afterSeq ?? 0,
      new OutboxSink(transport, peer, watcher, jobId),
    );
    this.add(watcher, relay);
    const { reader } = watcher;
    try {
      const outcome = await relay.start(
        // The one place a watch asks the access rules.
        (record) => mayReadJob(reader, record),
        (snapshot, events, reset, more) => {
          reply({ ok: true, snapshot, events, ...(reset && { reset }), ...(more && { more }) });
          this.metrics.recordDelivered(events.length, outbox.transportName);
        },
      );
      if (outcome !== 'started') forgetEnded(watcher, jobId);
      if (outcome === 'not-found') reply(errorAck(ErrorCode.JOB_NOT_FOUND, `Job ${jobId} not found`));
      if (outcome === 'closed') {
        reply(errorAck(ErrorCode.SUBSCRIPTION_CLOSED, 'Replaced by a newer subscribe or an unsubscribe'));
      }
    } catch (error) {
      forgetEnded(watcher, jobId);
      this.logger.warn({ err: error, jobId }, 'subscribe failed');
      reply(errorAck(ErrorCode.SERVICE_UNAVAILABLE, 'Could not read the job; retry'));
    }
  }

  /**
   * Subscribes the connection to a feed. `answer` is called once, through the connection's outbox: with the
   * feed's page and cursor (`reset` when `since` could not be served, `more` as the feed store says, the batch
   * on a batch's feed), or an error. Then `update` with every change after it, through the outbox too.
   */
  async subscribeFeed<Peer extends object>(
    watcher: Watcher,
    peer: Peer,
    transport: SubscriberTransport<Peer>,
    request: FeedSubscribeRequest,
    answer: (ack: FeedSubscribeAck) => void,
    update: (delivery: FeedDelivery) => void,
  ): Promise<void> {
    const { outbox } = transport;
    const reply = (ack: FeedSubscribeAck): void => outbox.answer(peer, () => answer(ack), ack.ok ? ack.jobs.length : 0);
    const key = feedKey(request.feed);
    const refusal = this.refusal(watcher, key);
    if (refusal) return reply(refusal);
    const { feed } = request;
    try {
      const batch = 'batch' in feed ? await this.feedRelays.feeds.getBatch(feed.batch) : undefined;
      // The one place a feed subscription asks the access rules.
      const verdict = readFeed(watcher.reader, feed, batch);
      if (!verdict.permitted) {
        return reply(
          verdict.answer === 'not-found'
            ? errorAck(ErrorCode.BATCH_NOT_FOUND, 'Batch not found')
            : errorAck(ErrorCode.FORBIDDEN, verdict.reason),
        );
      }
      const relay = this.feedRelays.create(
        key,
        verdict.feed,
        request.since,
        new FeedOutboxSink(transport, peer, update),
      );
      this.add(watcher, relay);
      const outcome = await relay.start((page) => reply({ ok: true, ...page }));
      if (outcome === 'closed') {
        forgetEnded(watcher, key);
        reply(errorAck(ErrorCode.SUBSCRIPTION_CLOSED, 'Replaced by a newer subscribe or an unsubscribe'));
      }
    } catch (error) {
      forgetEnded(watcher, key);
      if (error instanceof FeedCursorError) return reply(errorAck(error.code, error.message));
      this.logger.warn({ err: error, feed }, 'feed subscribe failed');
      reply(errorAck(ErrorCode.SERVICE_UNAVAILABLE, 'Could not read the feed; retry'));
    }
  }

  /** Ends the connection's subscription of the key (a job id, a `feedKey`), if it has one. */
  unsubscribe(watcher: Watcher, key: string): void {
    subscriptionOf(watcher.subscriptions, key)?.close();
    watcher.subscriptions = withoutSubscription(watcher.subscriptions, key);
  }

  /** The connection is gone: every subscription of it ends. */
  closeAll(watcher: Watcher): void {
    for (const subscription of allSubscriptions(watcher.subscriptions)) subscription.close();
    watcher.subscriptions = undefined;
  }

  /** Keeps the subscription on the connection, ending the one of the same key it replaces. */
  private add(watcher: Watcher, subscription: Subscription): void {
    subscriptionOf(watcher.subscriptions, subscription.key)?.close();
    watcher.subscriptions = withSubscription(watcher.subscriptions, subscription);
  }

  /** Why the connection may not subscribe to `key` now, whatever kind of subscription it asks for; or none. */
  private refusal(watcher: Watcher, key: string): ErrorAck | undefined {
    if (this.tokenExpiry.hasExpired(watcher.expiresAtS))
      return errorAck(ErrorCode.UNAUTHORIZED, 'Token expired; reconnect with a fresh one');
    const subscribeAt = this.subscribeRate.take(watcher.subscribeAt);
    if (subscribeAt === undefined) {
      return errorAck(ErrorCode.RATE_LIMITED, `At most ${this.config.SOCKET_SUBSCRIBE_RATE} subscribes per second`);
    }
    watcher.subscribeAt = subscribeAt;
    const { subscriptions } = watcher;
    if (
      !subscriptionOf(subscriptions, key) &&
      countSubscriptions(subscriptions) >= this.config.SOCKET_MAX_SUBSCRIPTIONS
    ) {
      return errorAck(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `At most ${this.config.SOCKET_MAX_SUBSCRIPTIONS} subscriptions per connection`,
      );
    }
    return undefined;
  }
}
