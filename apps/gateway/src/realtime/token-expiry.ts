import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';

/** How often open connections are checked for tokens that have run out. */
const SWEEP_MS = 1000;

/** One transport's open connections, what each one's token allows until, and how that transport ends one. */
export interface ExpiringConnections<Connection> {
  connections(): Iterable<Connection>;
  /** The token's `exp` in whole seconds since epoch; 0 while the connection has no token yet. */
  expiresAtS(connection: Connection): number;
  /** Tells the client why, where the transport can, and closes the connection. */
  end(connection: Connection): void;
}

/**
 * Live access ends with the token, on every transport: a token's `exp`, plus the JWT_CLOCK_SKEW every check
 * of it allows, is when its connection may no longer subscribe, and once a second each transport's
 * connections past it are ended. One sweep over all connections rather than a timer per connection: a
 * timer each would cost every idle socket memory, a sweep costs the gateway a comparison per connection a
 * second.
 */
@Injectable()
export class TokenExpiry implements OnApplicationShutdown {
  private readonly sweeps: Array<(cutoffS: number) => void> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** True once a token of this `exp` no longer gives access. */
  hasExpired(expiresAtS: number, now = Date.now()): boolean {
    return expiresAtS <= this.cutoffS(now);
  }

  /** Ends the transport's connections whose tokens have expired, from now on. */
  track<Connection>(transport: ExpiringConnections<Connection>): void {
    this.sweeps.push((cutoffS) => {
      for (const connection of transport.connections()) {
        const expiresAtS = transport.expiresAtS(connection);
        if (expiresAtS > 0 && expiresAtS <= cutoffS) transport.end(connection);
      }
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private cutoffS(now: number): number {
    return (now - this.config.JWT_CLOCK_SKEW) / 1000;
  }

  private sweep(): void {
    const cutoffS = this.cutoffS(Date.now());
    for (const sweep of this.sweeps) sweep(cutoffS);
  }
}
