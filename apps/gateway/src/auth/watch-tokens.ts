import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, jwtVerify } from 'jose';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { WatchPrincipal } from './principal';

/** The audience of watch tokens: no user or service token carries it. */
const WATCH_TOKEN_AUDIENCE = 'jobcast-watch';

/** What a watch token reads: one job (claim `job`), or a batch and its jobs (claim `batch`). */
export type WatchTarget = { readonly job: string } | { readonly batch: string };

/**
 * Watch tokens: minted by a gateway for one job (or one batch), read-only, for WATCH_TOKEN_TTL, so a backend can hand a
 * browser what it needs to watch that job and nothing else. HS256 with WATCH_TOKEN_SECRET (JWT_SECRET by
 * default), so any gateway of the deployment verifies them, whatever keys sign user tokens.
 */
@Injectable()
export class WatchTokens {
  private readonly secret: Uint8Array;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.secret = new TextEncoder().encode(config.WATCH_TOKEN_SECRET ?? config.JWT_SECRET);
  }

  async mint(jobId: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    return this.mintFor({ job: jobId }, now);
  }

  async mintFor(target: WatchTarget, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const expiresAt = Math.floor((now + this.config.WATCH_TOKEN_TTL) / 1000) * 1000;
    const token = await new SignJWT({ ...target })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(WATCH_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expiresAt / 1000)
      .sign(this.secret);
    return { token, expiresAt };
  }

  /** The watch principal, or null for anything that is not a valid watch token now. */
  async verify(token: string): Promise<WatchPrincipal | null> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        audience: WATCH_TOKEN_AUDIENCE,
        requiredClaims: ['exp'],
        clockTolerance: Math.round(this.config.JWT_CLOCK_SKEW / 1000),
      });
      if (typeof payload.exp !== 'number') return null;
      const expiresAt = payload.exp * 1000;
      if (typeof payload.job === 'string') return { kind: 'watch', jobId: payload.job, expiresAt };
      if (typeof payload.batch === 'string') return { kind: 'watch', batchId: payload.batch, expiresAt };
      return null;
    } catch {
      return null;
    }
  }
}
