import type { IncomingMessage } from 'node:http';

/**
 * Counts this gateway's open Socket.IO connections per client IP. Behind a load balancer every client
 * shares its IP, so the client's own address is read from X-Forwarded-For only when TRUST_PROXY says the
 * proxy in front is ours — and then its last entry, the one our proxy wrote; earlier ones are the
 * client's to forge.
 */
export class ConnectionLimiter {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly maxPerIp: number,
    private readonly trustProxy: boolean,
  ) {}

  clientIp(request: IncomingMessage): string {
    const forwarded = this.trustProxy ? request.headers['x-forwarded-for'] : undefined;
    const nearest = (Array.isArray(forwarded) ? forwarded.at(-1) : forwarded)?.split(',').at(-1)?.trim();
    return nearest || request.socket.remoteAddress || 'unknown';
  }

  allows(request: IncomingMessage): boolean {
    return (this.open.get(this.clientIp(request)) ?? 0) < this.maxPerIp;
  }

  /** Counts a connection; `release` it with the same request once, when it closes. */
  add(request: IncomingMessage): void {
    const ip = this.clientIp(request);
    this.open.set(ip, (this.open.get(ip) ?? 0) + 1);
  }

  release(request: IncomingMessage): void {
    const ip = this.clientIp(request);
    const left = (this.open.get(ip) ?? 1) - 1;
    if (left > 0) this.open.set(ip, left);
    else this.open.delete(ip);
  }
}
