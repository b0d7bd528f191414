import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';

/**
 * The gateway's drain on SIGTERM: readiness turns 503 so the load balancer stops sending clients, new
 * sockets are refused, and everyone holding a long-lived connection (sockets, SSE streams) is told to go
 * elsewhere; Nest then closes the HTTP server, which lets in-flight requests finish.
 */
@Injectable()
export class GatewayLifecycle implements BeforeApplicationShutdown {
  private drainingSince: number | undefined;
  private readonly drainListeners = new Set<() => void>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Runs the listener when the drain starts; returns a function that removes it. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  beforeApplicationShutdown(signal?: string): void {
    if (this.draining) return;
    this.drainingSince = Date.now();
    this.logger.info(
      { signal, graceMs: this.config.SHUTDOWN_GRACE },
      'draining: telling clients to reconnect elsewhere',
    );
    // Whatever still holds the process after the grace period must not keep it from exiting.
    setTimeout(() => {
      this.logger.warn('grace period over; exiting');
      process.exit(0);
    }, this.config.SHUTDOWN_GRACE).unref();
    for (const listener of this.drainListeners) listener();
  }
}
