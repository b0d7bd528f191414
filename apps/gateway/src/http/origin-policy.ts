import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which browser origins may call the API and open sockets. Requests without an Origin (curl, services)
 * and same-origin pages (the demo page) are always allowed; any other origin must be in CORS_ORIGINS.
 * This is what stops cross-site WebSocket hijacking: browsers send Origin on every handshake.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.allowed = new Set(origins.map((origin) => origin.replace(/\/$/, '').toLowerCase()));
  }

  allows(headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin;
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    if (this.allowed.has(normalized)) return true;
    const host = headers['x-forwarded-host'] ?? headers.host;
    try {
      return new URL(normalized).host === String(host).toLowerCase();
    } catch {
      return false;
    }
  }

  /** Allowed cross-site origins, for HTTP CORS answers. */
  isListed(origin: string): boolean {
    return this.allowed.has(origin.toLowerCase());
  }
}
