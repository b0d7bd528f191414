import { ErrorCode, type ApiError, type JobEvent } from '@jobcast/contracts/protocol';
import type { GatewayConnection } from './gateway-connection';
import { JobCursor, type CursorOwner } from './job-watch';
import { ClientErrorCode, JobcastError } from './jobcast-error';
import { checkSubscribeAck } from './wire-checks';

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  readonly ackTimeoutMs: number;
  /** How long to wait before asking again after the gateway answered "not now" for the `attempt`-th time. */
  retryDelay(attempt: number): number;
  /** The gateway refused the socket's token: reconnect with a fresh one. False when that was just tried. */
  refreshToken(): boolean;
  /** The gateway accepted a subscribe, so the socket's token is good. */
  tokenAccepted(): void;
  /** The subscription has no watches left; `unsubscribe` says whether the gateway may still hold it. */
  release(subscription: JobSubscription, unsubscribe: boolean): void;
}

/**
 * Refusals that say "not now" rather than "never". SUBSCRIPTION_CLOSED answers a subscribe that a newer
 * subscribe or unsubscribe of the same job overtook: an answer this subscription already ignores as
 * stale by its generation, so one that still arrives for the newest subscribe means "ask again".
 */
const RETRYABLE: ReadonlySet<string> = new Set([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.RATE_LIMITED,
  ErrorCode.SUBSCRIPTION_CLOSED,
]);

/**
 * The client's one gateway subscription to a job, shared by every watch of that job: the gateway keeps
 * one subscription per job per socket, so two would replace each other. On every connection it
 * subscribes from the lowest seq any watch still needs, holds live events back until the ack's backlog
 * is out, and subscribes again to re-read the log when a watch sees a gap.
 */
export class JobSubscription implements CursorOwner {
  private readonly cursors = new Set<JobCursor>();
  private connection: GatewayConnection | undefined;
  /** Bumped by every subscribe and detach, so that the answer to an earlier one is ignored. */
  private generation = 0;
  /** Live events that came while a subscribe awaits its ack; undefined when none is pending. */
  private held: JobEvent[] | undefined;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly jobId: string,
    private readonly host: SubscriptionHost,
  ) {}

  watch(afterSeq: number): JobCursor {
    const cursor = new JobCursor(this.jobId, afterSeq, this);
    this.cursors.add(cursor);
    // Even when already live: only a fresh ack gives the new watch its snapshot and backlog; the
    // other watches drop the events they already have.
    this.subscribe();
    return cursor;
  }

  /** A connection is up: subscribe on it. */
  attach(connection: GatewayConnection): void {
    this.connection = connection;
    this.subscribe();
  }

  /** The connection is gone: whatever it still owes is asked for again on the next one. */
  detach(): void {
    this.connection = undefined;
    this.generation++;
    this.held = undefined;
    clearTimeout(this.retryTimer);
  }

  /** A live `job:event` for this job. */
  receive(event: JobEvent): void {
    if (this.held) {
      this.held.push(event);
      return;
    }
    let gap = false;
    for (const cursor of [...this.cursors]) if (cursor.offer(event) === 'gap') gap = true;
    // The log holds an event before it is published, so the ack of this re-read brings the missing
    // events and this one too.
    if (gap) this.subscribe();
  }

  release(cursor: JobCursor, unsubscribe: boolean): void {
    if (!this.cursors.delete(cursor) || this.cursors.size > 0) return;
    this.detach();
    this.host.release(this, unsubscribe);
  }

  /** Ends every watch of this job with `error`. */
  fail(error: Error): void {
    this.detach();
    const cursors = [...this.cursors];
    this.cursors.clear();
    for (const cursor of cursors) cursor.fail(error);
    this.host.release(this, false);
  }

  private subscribe(): void {
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    if (!connection?.connected || this.cursors.size === 0) return;
    const generation = ++this.generation;
    this.held ??= [];
    const afterSeq = Math.min(...[...this.cursors].map((cursor) => cursor.resumeAfter));
    connection.subscribe(this.jobId, afterSeq, this.host.ackTimeoutMs, (answer) => {
      if (generation !== this.generation) return;
      // No answer in time (a disconnect also lands here, but detach already made this answer stale): the
      // request or its answer may have been lost, and a repeated subscribe is harmless.
      if (answer === undefined) this.subscribe();
      else this.onAck(answer);
    });
  }

  private onAck(answer: unknown): void {
    const ack = checkSubscribeAck(answer);
    if (!ack) {
      this.fail(new JobcastError(ClientErrorCode.INVALID_RESPONSE, `Malformed subscribe answer for job ${this.jobId}`));
      return;
    }
    if (!ack.ok) {
      this.refused(ack.error);
      return;
    }
    this.retries = 0;
    this.host.tokenAccepted();
    const held = this.held ?? [];
    this.held = undefined;
    for (const cursor of [...this.cursors])
      cursor.start(ack.snapshot, ack.events, { reset: ack.reset === true, more: ack.more === true });
    if ([...this.cursors].some((cursor) => cursor.needsTerminal)) this.subscribe();
    for (const event of held) this.receive(event);
  }

  private refused(error: ApiError): void {
    if (RETRYABLE.has(error.code)) {
      this.retryTimer = setTimeout(() => this.subscribe(), this.host.retryDelay(this.retries++));
      return;
    }
    if (error.code === ErrorCode.UNAUTHORIZED && this.host.refreshToken()) return;
    this.fail(new JobcastError(error.code, error.message, error.details));
  }
}
