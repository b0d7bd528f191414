import type { Response } from 'express';
import { readAccessKey, type ReadAccess } from '../../auth/access-policy';
import type { OpenConnections } from '../connection-limiter';
import type { ConnectionSubscriptions } from '../connection-subscriptions';
import { SubscribeRate } from '../subscribe-rate';
import type { Watcher } from '../watcher';

/**
 * One open SSE stream: a connection of the delivery core with one subscription, and what the limits, the
 * token's expiry and the heartbeat need of it.
 */
export class OpenStream implements Watcher {
  /** Nothing until the core admits the stream's token. */
  reader: ReadAccess = { kind: 'nothing' };
  expiresAtS = 0;
  subscriptions: ConnectionSubscriptions = undefined;
  subscribeAt = 0;
  /** The comment that keeps an idle stream open, from its head on. */
  heartbeat: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly response: Response,
    /** The client's IP as the connection limit counts it. */
    readonly clientIp: string,
  ) {}
}

/** Why a stream may not start, beyond the handshake checks every transport shares. */
export type StreamRefusal = 'TOO_MANY_STREAMS' | 'RATE_LIMITED';

/** Readers whose start rate is tracked, past which the ones that could start at once again are forgotten. */
const TRACKED_READERS = 10_000;

/**
 * The SSE streams open on this gateway: counted with the sockets against MAX_CONNECTIONS_PER_IP (this is
 * the limiter's view of them), at most SSE_MAX_STREAMS_PER_USER per user, and at most SSE_START_RATE
 * started per second per user, so that one account cannot hold a gateway's streams or churn them.
 */
export class OpenStreams implements OpenConnections {
  private readonly streams = new Set<OpenStream>();
  private readonly perReader = new Map<string, number>();
  private readonly startRate: SubscribeRate;
  /** Each reader's start-rate state (SubscribeRate's). */
  private readonly startedAt = new Map<string, number>();

  constructor(
    private readonly maxPerReader: number,
    startsPerSecond: number,
  ) {
    this.startRate = new SubscribeRate(startsPerSecond);
  }

  /** Why the reader may not start another stream now, or null; a stream that may start counts as started. */
  refusal(access: ReadAccess): StreamRefusal | null {
    const reader = readAccessKey(access);
    if ((this.perReader.get(reader) ?? 0) >= this.maxPerReader) return 'TOO_MANY_STREAMS';
    const next = this.startRate.take(this.startedAt.get(reader) ?? this.startRate.initial);
    if (next === undefined) return 'RATE_LIMITED';
    if (this.startedAt.size >= TRACKED_READERS) this.forgetIdleReaders();
    this.startedAt.set(reader, next);
    return null;
  }

  add(stream: OpenStream): void {
    this.streams.add(stream);
    const reader = readAccessKey(stream.reader);
    this.perReader.set(reader, (this.perReader.get(reader) ?? 0) + 1);
  }

  delete(stream: OpenStream): void {
    if (!this.streams.delete(stream)) return;
    const reader = readAccessKey(stream.reader);
    const left = (this.perReader.get(reader) ?? 1) - 1;
    if (left > 0) this.perReader.set(reader, left);
    else this.perReader.delete(reader);
  }

  values(): IterableIterator<OpenStream> {
    return this.streams.values();
  }

  count(): number {
    return this.streams.size;
  }

  *clientIps(): Iterable<string> {
    for (const stream of this.streams) yield stream.clientIp;
  }

  private forgetIdleReaders(): void {
    for (const [reader, state] of this.startedAt) if (this.startRate.isIdle(state)) this.startedAt.delete(reader);
  }
}
