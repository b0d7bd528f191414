import type { IncomingHttpHeaders } from 'node:http';

export interface OriginPolicyOptions {
  /** Origins allowed cross-site (CORS_ORIGINS). */
  origins: readonly string[];
  /**
   * Whether a proxy of ours stands in front (TRUST_PROXY): only then does X-Forwarded-Host say which host
   * the page was served from. Anyone else could send it to pass a foreign Origin off as same-origin.
   */
  trustProxy: boolean;
}

/**
 * Which browser origins may call the API and open sockets. Requests without an Origin (curl, services)
 * and same-origin pages (the demo page) are always allowed; any other origin must be in CORS_ORIGINS.
 * This is what stops cross-site WebSocket hijacking: browsers send Origin on every handshake.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly trustProxy: boolean;

  constructor({ origins, trustProxy }: OriginPolicyOptions) {
    this.allowed = new Set(origins.map((origin) => origin.replace(/\/$/, '').toLowerCase()));
    this.trustProxy = trustProxy;
  }

  allows(headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin;
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    if (this.allowed.has(normalized)) return true;
    const host = this.servedHost(headers);
    try {
      return host !== undefined && new URL(normalized).host === host;
    } catch {
      return false;
    }
  }

  /** Allowed cross-site origins, for HTTP CORS answers. */
  isListed(origin: string): boolean {
    return this.allowed.has(origin.toLowerCase());
  }

  /**
   * The `host[:port]` the client asked for. Behind our proxy, X-Forwarded-Host's last entry, the one that
   * proxy wrote (ours sets it with the port the client used); otherwise Host.
   */
  private servedHost(headers: IncomingHttpHeaders): string | undefined {
    const forwarded = this.trustProxy ? headers['x-forwarded-host'] : undefined;
    const host = (Array.isArray(forwarded) ? forwarded.at(-1) : forwarded)?.split(',').at(-1)?.trim() || headers.host;
    return host?.toLowerCase();
  }
}
