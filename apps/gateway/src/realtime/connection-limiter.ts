import type { IncomingMessage } from 'node:http';

/** The connections of one transport open now, as that transport keeps them. */
export interface OpenConnections {
  count(): number;
  /** Their client IPs (`ConnectionLimiter.clientIp` of their handshakes). */
  clientIps(): Iterable<string>;
}

/** How often at most the counts are redone from the open connections. */
const RECOUNT_MS = 100;

/**
 * Counts this gateway's open long-lived connections per client IP, Socket.IO and plain WebSocket together. Behind a load balancer every client
 * shares its IP, so the client's own address is read from X-Forwarded-For only when TRUST_PROXY says the
 * proxy in front is ours — and then its last entry, the one our proxy wrote; earlier ones are the
 * client's to forge.
 *
 * Connections are counted as they open but not subtracted as they close: a 'close' listener on every
 * connection costs each idle socket memory. A count can only be too high, so when an IP reaches the limit
 * (or the counts outgrow the open connections) they are redone from the connections that are open, at
 * most every RECOUNT_MS, so that a flood of refused handshakes cannot make that a cost per handshake.
 */
export class ConnectionLimiter {
  private counts = new Map<string, number>();
  private countedAt = Number.NEGATIVE_INFINITY;
  private readonly transports: OpenConnections[] = [];

  constructor(
    private readonly maxPerIp: number,
    private readonly trustProxy: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts this transport's connections too. */
  addTransport(open: OpenConnections): void {
    this.transports.push(open);
  }

  clientIp(request: IncomingMessage): string {
    const forwarded = this.trustProxy ? request.headers['x-forwarded-for'] : undefined;
    const nearest = (Array.isArray(forwarded) ? forwarded.at(-1) : forwarded)?.split(',').at(-1)?.trim();
    return nearest || request.socket.remoteAddress || 'unknown';
  }

  allows(request: IncomingMessage): boolean {
    const ip = this.clientIp(request);
    if (this.countOf(ip) < this.maxPerIp) return true;
    this.recount();
    return this.countOf(ip) < this.maxPerIp;
  }

  /** Counts a connection that just opened, by its `clientIp`. */
  add(ip: string): void {
    this.counts.set(ip, this.countOf(ip) + 1);
    // IPs whose connections all closed would otherwise stay here for good.
    if (this.counts.size > 1024 && this.counts.size > 2 * this.openCount()) this.recount();
  }

  private openCount(): number {
    let count = 0;
    for (const open of this.transports) count += open.count();
    return count;
  }

  private countOf(ip: string): number {
    return this.counts.get(ip) ?? 0;
  }

  private recount(): void {
    if (this.now() - this.countedAt < RECOUNT_MS) return;
    this.countedAt = this.now();
    this.counts = new Map();
    for (const open of this.transports) for (const ip of open.clientIps()) this.counts.set(ip, this.countOf(ip) + 1);
  }
}
