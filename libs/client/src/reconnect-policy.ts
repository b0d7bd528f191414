export interface Backoff {
  /** Delay before the first retry. */
  baseMs: number;
  /** The delay doubles per retry up to this. */
  maxMs: number;
}

/**
 * The delay before retry number `attempt` (0-based): `baseMs * 2^attempt` capped at `maxMs`, then drawn
 * from the upper half of that, so that the clients a dying gateway drops do not all land on the next one
 * in the same instant.
 */
export function backoffDelay(attempt: number, { baseMs, maxMs }: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Which gateway URL to try next and how long to wait first: round robin, backing off until a connect succeeds. */
export class ReconnectPolicy {
  private index = 0;
  private failures = 0;

  constructor(
    private readonly urls: readonly string[],
    private readonly backoff: Backoff,
    private readonly random: () => number = Math.random,
  ) {
    if (urls.length === 0) throw new TypeError('connect: `urls` needs at least one URL');
  }

  /** The URL to connect to now. */
  get url(): string {
    return this.urls[this.index] as string;
  }

  /**
   * The connection failed or dropped: moves to the next URL (a gateway that just went away, or is
   * shutting down, is the worst one to retry first) and answers how long to wait before trying it.
   */
  next(): number {
    this.index = (this.index + 1) % this.urls.length;
    return backoffDelay(this.failures++, this.backoff, this.random);
  }

  /** A connection succeeded: the next drop starts again from the base delay. */
  reset(): void {
    this.failures = 0;
  }
}
