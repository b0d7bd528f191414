import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, type ErrorAck, type JobEvent, type SubscribeAck, type SubscribeRequest } from '@jobcast/contracts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { mayReadJob, readAccessOf, sameReadAccess, type ReadAccess } from '../auth/access-policy';
import type { Principal } from '../auth/principal';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { RelaySink } from './job-relay';
import { JobRelayFactory } from './job-relay.factory';
import type { Outbox } from './outbox';
import { allRelays, countRelays, relayOf, withRelay, withoutRelay, type ConnectionRelays } from './connection-relays';
import { SubscribeRate } from './subscribe-rate';
import { TokenExpiry } from './token-expiry';

/**
 * What the gateway keeps on each long-lived connection, whatever its transport: four fields, which V8 stores
 * in the object itself, and numbers that stay small integers, which it stores unboxed. At tens of thousands
 * of idle connections every further object per connection shows.
 */
export interface WatcherState {
  /** Which jobs the connection may watch: its token's `readAccessOf` (auth/access-policy). */
  reader: ReadAccess;
  /** The token's `exp`, in whole seconds since epoch. */
  expiresAtS: number;
  relays: ConnectionRelays;
  /** The subscribe rate limit's state (`SubscribeRate`). */
  subscribeAt: number;
}

export function errorAck(code: ErrorCode, message: string, details?: unknown): ErrorAck {
  return { ok: false, error: { code, message, ...(details !== undefined && { details }) } };
}

/** A request that failed its schema, answered with a few of the issues: all of them could be a large answer. */
export function validationError(error: z.ZodError): ErrorAck {
  return errorAck(ErrorCode.VALIDATION_FAILED, 'Malformed request', error.issues.slice(0, 10));
}

/**
 * Where a connection's relay delivers: its transport's outbox. A class rather than closures: it lives as
 * long as the relay, and must hold neither the subscribe request nor its answer.
 */
class OutboxSink<Peer extends object> implements RelaySink {
  constructor(
    private readonly outbox: Outbox<Peer>,
    private readonly peer: Peer,
    private readonly state: WatcherState,
    private readonly jobId: string,
  ) {}

  deliver(events: readonly JobEvent[]): void {
    this.outbox.deliver(this.peer, events);
  }

  finish(): void {
    forgetClosedRelay(this.state, this.jobId);
  }

  whenWritable(): Promise<void> | undefined {
    return this.outbox.whenWritable(this.peer);
  }
}

/** Drops the connection's relay of the job once it has ended; a newer, open one stays. */
function forgetClosedRelay(state: WatcherState, jobId: string): void {
  if (relayOf(state.relays, jobId)?.isOpen === false) state.relays = withoutRelay(state.relays, jobId);
}

/**
 * The rules of subscribing, for every transport: a token still valid, the subscribe rate, the number of
 * relays per connection, read access to the job; one relay per job per connection, a newer subscribe replacing
 * an older one. Transports parse their own request shapes and turn the answer into their own messages.
 */
@Injectable()
export class JobSubscriptions {
  private readonly subscribeRate: SubscribeRate;

  constructor(
    private readonly relayFactory: JobRelayFactory,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
    private readonly tokenExpiry: TokenExpiry,
  ) {
    this.subscribeRate = new SubscribeRate(config.SOCKET_SUBSCRIBE_RATE);
  }

  /** Fills in a new connection's state (in its own fields, always in this order) for a verified token. */
  admit(state: WatcherState, principal: Principal): void {
    state.reader = readAccessOf(principal);
    state.expiresAtS = Math.floor(principal.expiresAt / 1000);
    state.relays = undefined;
    state.subscribeAt = this.subscribeRate.initial;
  }

  /** A fresh token for a connection already admitted: it must read what the first one did. */
  renew(state: WatcherState, principal: Principal): boolean {
    if (!sameReadAccess(readAccessOf(principal), state.reader)) return false;
    state.expiresAtS = Math.floor(principal.expiresAt / 1000);
    return true;
  }

  /**
   * Watches the job for the connection. `answer` is called once, through the connection's outbox (in line
   * with its events, and counted toward its bound): with the snapshot and the first page of the backlog
   * (`reset` when the log could not give all of it, `more` when the backlog goes on), or an error. The rest of the backlog and the live
   * events follow it.
   */
  async subscribe<Peer extends object>(
    state: WatcherState,
    peer: Peer,
    outbox: Outbox<Peer>,
    request: SubscribeRequest,
    answer: (ack: SubscribeAck) => void,
  ): Promise<void> {
    const reply = (ack: SubscribeAck): void => outbox.answer(peer, () => answer(ack), ack.ok ? ack.events.length : 0);
    const denied = this.checkAllowed(state, request.jobId);
    if (denied) return reply(denied);
    // The job id every relay of the job shares, rather than one copy per subscribe request.
    const jobId = this.relayFactory.sharedJobId(request.jobId);
    relayOf(state.relays, jobId)?.close();
    const relay = this.relayFactory.create(jobId, request.afterSeq ?? 0, new OutboxSink(outbox, peer, state, jobId));
    state.relays = withRelay(state.relays, relay);
    const { reader } = state;
    try {
      const outcome = await relay.start(
        (record) => mayReadJob(reader, record),
        (snapshot, events, reset, more) => {
          reply({ ok: true, snapshot, events, ...(reset && { reset }), ...(more && { more }) });
          this.metrics.recordDelivered(events.length, outbox.transportName);
        },
      );
      if (outcome !== 'started') forgetClosedRelay(state, jobId);
      if (outcome === 'not-found') reply(errorAck(ErrorCode.JOB_NOT_FOUND, `Job ${jobId} not found`));
      if (outcome === 'closed') {
        reply(errorAck(ErrorCode.SUBSCRIPTION_CLOSED, 'Replaced by a newer subscribe or an unsubscribe'));
      }
    } catch (error) {
      forgetClosedRelay(state, jobId);
      this.logger.warn({ err: error, jobId }, 'subscribe failed');
      reply(errorAck(ErrorCode.SERVICE_UNAVAILABLE, 'Could not read the job; retry'));
    }
  }

  unsubscribe(state: WatcherState, jobId: string): void {
    relayOf(state.relays, jobId)?.close();
    state.relays = withoutRelay(state.relays, jobId);
  }

  /** The connection is gone: every relay of it ends. */
  closeAll(state: WatcherState): void {
    for (const relay of allRelays(state.relays)) relay.close();
    state.relays = undefined;
  }

  private checkAllowed(state: WatcherState, jobId: string): ErrorAck | undefined {
    if (this.tokenExpiry.hasExpired(state.expiresAtS))
      return errorAck(ErrorCode.UNAUTHORIZED, 'Token expired; reconnect with a fresh one');
    const subscribeAt = this.subscribeRate.take(state.subscribeAt);
    if (subscribeAt === undefined) {
      return errorAck(ErrorCode.RATE_LIMITED, `At most ${this.config.SOCKET_SUBSCRIBE_RATE} subscribes per second`);
    }
    state.subscribeAt = subscribeAt;
    const { relays } = state;
    if (!relayOf(relays, jobId) && countRelays(relays) >= this.config.SOCKET_MAX_SUBSCRIPTIONS) {
      return errorAck(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `At most ${this.config.SOCKET_MAX_SUBSCRIPTIONS} subscriptions per connection`,
      );
    }
    return undefined;
  }
}
