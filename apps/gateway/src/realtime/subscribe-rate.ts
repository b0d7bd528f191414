/**
 * Requests per second allowed to one socket (subscribes) or one user (SSE streams started), on average,
 * with bursts of up to `burst`, kept as one number per socket (GCRA: the theoretical arrival time of its next subscribe) rather than an object. The
 * number is whole milliseconds since this limiter was made, so that it stays a small integer, which V8
 * keeps in the socket's own fields.
 */
export class SubscribeRate {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly since: number;

  constructor(
    ratePerSecond: number,
    burst: number = ratePerSecond,
    private readonly now: () => number = Date.now,
  ) {
    this.intervalMs = Math.ceil(1000 / ratePerSecond);
    this.toleranceMs = this.intervalMs * (Math.max(1, Math.floor(burst)) - 1);
    this.since = now();
  }

  /** A socket's state before its first subscribe. */
  readonly initial = 0;

  /** True when a state allows a full burst again: it is no different from `initial`. */
  isIdle(arrivalAt: number): boolean {
    return arrivalAt <= this.now() - this.since;
  }

  /** The socket's next state, or undefined when this subscribe is over the limit. */
  take(arrivalAt: number): number | undefined {
    const now = this.now() - this.since;
    const next = Math.max(arrivalAt, now);
    if (next - now > this.toleranceMs) return undefined;
    return next + this.intervalMs;
  }
}
