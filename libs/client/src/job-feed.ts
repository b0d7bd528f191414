import {
  ErrorCode,
  type ApiError,
  type BatchSnapshot,
  type Feed,
  type FeedSubscribeAck,
  type JobSnapshot,
} from '@jobcast/contracts/protocol';
import type { GatewayConnection } from './gateway-connection';
import { ClientErrorCode, JobcastError } from './jobcast-error';
import { callListener } from './listeners';
import { isJobSnapshot } from './wire-checks';

export interface FeedOptions {
  /** A cursor this feed gave before (`JobFeed.cursor`): start with every job changed after it. */
  since?: string;
}

/** What a feed's subscribe answer or update carries, once checked. */
interface FeedPage {
  jobs: JobSnapshot[];
  cursor: string;
  batch?: BatchSnapshot;
  reset: boolean;
}

/** What a feed needs from its client. */
export interface FeedHost {
  readonly ackTimeoutMs: number;
  retryDelay(attempt: number): number;
  /** As for a job's subscription: reconnect with a fresh token after an UNAUTHORIZED; false when just tried. */
  refreshToken(): boolean;
  tokenAccepted(): void;
  /** The feed was closed, or failed: the client forgets it (and unsubscribes, with `unsubscribe`). */
  releaseFeed(feed: JobFeed, unsubscribe: boolean): void;
}

/** Refusals that say "not now" rather than "never", as for a job's subscribe. */
const RETRYABLE: ReadonlySet<string> = new Set([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.RATE_LIMITED,
  ErrorCode.SUBSCRIPTION_CLOSED,
]);

/** The key the client keeps a feed by, and matches updates to it by: one feed per shape. */
export function feedKey(feed: unknown): string | undefined {
  if (typeof feed !== 'object' || feed === null) return undefined;
  const { owner, tag, batch } = feed as Record<string, unknown>;
  if (typeof owner === 'string') return `owner ${owner}`;
  if (typeof tag === 'string') return `tag ${tag}`;
  return typeof batch === 'string' ? `batch ${batch}` : undefined;
}

/** Checks a page or update, keeping only what the client reads: unknown fields and jobs it cannot read are left. */
function checkPage(raw: unknown): FeedPage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { jobs, cursor, batch, reset } = raw as Record<string, unknown>;
  if (!Array.isArray(jobs) || typeof cursor !== 'string') return undefined;
  return {
    jobs: (jobs as unknown[]).filter(isJobSnapshot),
    cursor,
    ...(typeof batch === 'object' && batch !== null && { batch: batch as BatchSnapshot }),
    reset: reset === true,
  };
}

/**
 * A live view of many jobs (`client.feed({owner: "me"})`): each job's newest snapshot (the one with the
 * highest `lastSeq`), the batch of a batch feed, and the cursor of the last update. On every connection,
 * to whichever gateway, it subscribes again from that cursor, so it misses nothing across reconnects; when
 * the feed cannot serve the cursor it starts over from the feed's first page and tells `onReset`.
 */
export class JobFeed implements AsyncIterable<JobSnapshot[]> {
  private readonly byJob = new Map<string, JobSnapshot>();
  private currentBatch: BatchSnapshot | undefined;
  private lastCursor: string | undefined;
  private connection: GatewayConnection | undefined;
  /** Bumped by every subscribe and detach, so that the answer to an earlier one is ignored. */
  private generation = 0;
  /** A subscribe awaits its answer: updates are not applied until it comes. */
  private pending = false;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly changeListeners = new Set<(changed: JobSnapshot[]) => void>();
  private readonly resetListeners = new Set<() => void>();
  /** Changes not yet taken by async iteration, and the iterator waiting for them. */
  private readonly unread: JobSnapshot[][] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    readonly feed: Feed,
    readonly key: string,
    options: FeedOptions,
    private readonly host: FeedHost,
  ) {
    this.lastCursor = options.since;
  }

  /** Each job of the feed seen so far, at its newest snapshot. */
  get jobs(): ReadonlyMap<string, JobSnapshot> {
    return this.byJob;
  }

  /** On a batch's feed, the batch as of the last update. */
  get batch(): BatchSnapshot | undefined {
    return this.currentBatch;
  }

  /** The cursor after the last update: pass it as `since` to start a feed where this one is. */
  get cursor(): string | undefined {
    return this.lastCursor;
  }

  /** Why the feed ended, when it failed (a refused subscribe: `BATCH_NOT_FOUND`, `FORBIDDEN`, …). */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Calls `listener` with the jobs each answer or update changed. Returns a function that removes it. */
  onChange(listener: (changed: JobSnapshot[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls `listener` when the feed started over (the jobs were cleared, then its first page applied). */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Yields the jobs each answer or update changed, until the feed is closed or fails. */
  async *[Symbol.asyncIterator](): AsyncIterator<JobSnapshot[]> {
    for (;;) {
      const next = this.unread.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Stops the feed: the gateway is asked to unsubscribe, and iteration ends. */
  close(): void {
    if (this.closed) return;
    this.end();
    this.host.releaseFeed(this, true);
  }

  /** A connection is up: subscribe on it from the last cursor. */
  attach(connection: GatewayConnection): void {
    this.connection = connection;
    this.subscribe();
  }

  /** The connection is gone: the next one resumes from the cursor. */
  detach(): void {
    this.connection = undefined;
    this.generation++;
    this.pending = false;
    clearTimeout(this.retryTimer);
  }

  /** A live update of this feed (not yet checked). */
  receive(raw: unknown): void {
    if (this.pending || this.closed) return;
    const page = checkPage(raw);
    // A malformed update is dropped; re-reading from the last cursor brings what it carried.
    if (!page) return this.subscribe();
    this.apply(page);
  }

  fail(error: Error): void {
    if (this.closed) return;
    this.failure = error;
    this.end();
    this.host.releaseFeed(this, false);
  }

  private end(): void {
    this.detach();
    this.closed = true;
    this.wake?.();
  }

  private subscribe(): void {
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    if (!connection?.connected || this.closed) return;
    const generation = ++this.generation;
    this.pending = true;
    connection.subscribeFeed(this.feed, this.lastCursor, this.host.ackTimeoutMs, (answer) => {
      if (generation !== this.generation) return;
      if (answer === undefined) return this.subscribe();
      this.onAck(answer);
    });
  }

  private onAck(answer: FeedSubscribeAck): void {
    this.pending = false;
    if (typeof answer !== 'object' || answer === null) return this.malformed();
    if (answer.ok !== true) return this.refused((answer as { error?: ApiError }).error);
    const page = checkPage(answer);
    if (!page) return this.malformed();
    this.retries = 0;
    this.host.tokenAccepted();
    this.apply(page);
  }

  private apply(page: FeedPage): void {
    if (page.reset) {
      this.byJob.clear();
      for (const listener of [...this.resetListeners]) callListener(listener);
    }
    const changed: JobSnapshot[] = [];
    for (const job of page.jobs) {
      const kept = this.byJob.get(job.id);
      if (kept && kept.lastSeq >= job.lastSeq) continue;
      this.byJob.set(job.id, job);
      changed.push(job);
    }
    this.lastCursor = page.cursor;
    if (page.batch) this.currentBatch = page.batch;
    if (changed.length === 0 && !page.batch) return;
    this.unread.push(changed);
    this.wake?.();
    this.wake = undefined;
    for (const listener of [...this.changeListeners]) callListener(listener, changed);
  }

  private refused(error: ApiError | undefined): void {
    if (error && RETRYABLE.has(error.code)) {
      this.retryTimer = setTimeout(() => this.subscribe(), this.host.retryDelay(this.retries++));
      return;
    }
    // The token expired since the handshake: the client reconnects with a fresh one, and this feed resubscribes.
    if (error?.code === ErrorCode.UNAUTHORIZED && this.host.refreshToken()) return;
    this.fail(
      new JobcastError(
        error?.code ?? ClientErrorCode.INVALID_RESPONSE,
        error?.message ?? 'Feed refused',
        error?.details,
      ),
    );
  }

  private malformed(): void {
    this.fail(new JobcastError(ClientErrorCode.INVALID_RESPONSE, `Malformed feed answer for ${this.key}`));
  }
}
