import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { OriginPolicy } from '../http/origin-policy';
import { GatewayLifecycle } from '../lifecycle/gateway-lifecycle';
import { ConnectionLimiter } from './connection-limiter';

/** Why a long-lived connection is refused at its handshake, on every transport, with the HTTP status of each. */
export const HANDSHAKE_REFUSALS = {
  SHUTTING_DOWN: 503,
  FORBIDDEN_ORIGIN: 403,
  TOO_MANY_CONNECTIONS: 429,
} as const;
export type HandshakeRefusal = keyof typeof HANDSHAKE_REFUSALS;

/**
 * Who may open a socket, whatever its kind: not while the gateway drains, only from an allowed Origin
 * (which is what stops cross-site WebSocket hijacking), and at most MAX_CONNECTIONS_PER_IP per client
 * counting every transport together.
 */
@Injectable()
export class ConnectionGate {
  readonly limiter: ConnectionLimiter;
  private readonly origins: OriginPolicy;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly lifecycle: GatewayLifecycle,
  ) {
    this.origins = new OriginPolicy({ origins: config.CORS_ORIGINS, trustProxy: config.TRUST_PROXY });
    this.limiter = new ConnectionLimiter(config.MAX_CONNECTIONS_PER_IP, config.TRUST_PROXY);
  }

  refusal(request: IncomingMessage): HandshakeRefusal | null {
    if (this.lifecycle.draining) return 'SHUTTING_DOWN';
    if (!this.origins.allows(request.headers)) return 'FORBIDDEN_ORIGIN';
    if (!this.limiter.allows(request)) return 'TOO_MANY_CONNECTIONS';
    return null;
  }
}
