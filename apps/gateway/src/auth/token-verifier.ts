import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { Scope, type Principal } from './principal';
import { WatchTokens } from './watch-tokens';

const DEV_TOKEN_LIFETIME = '24h';
/**
 * The audience of every dev token, whatever JWT_AUDIENCE says: a gateway that does not serve dev tokens
 * refuses them even when it shares the secret with one that does (a staging box, a laptop).
 */
export const DEV_TOKEN_AUDIENCE = 'jobcast-dev-token';

interface VerificationKey {
  key: Uint8Array | CryptoKey;
  algorithms: string[];
}

/**
 * Verifies bearer tokens: the algorithm is pinned by the key type (HS256 for JWT_SECRET, RS256/ES256 for
 * JWT_PUBLIC_KEY), so neither `none` nor an HS/RS swap gets through; `exp` and `sub` are required. A token
 * for the dev-token audience is valid only on a gateway with DEV_TOKENS on, and then JWT_AUDIENCE does not
 * apply to it.
 */
@Injectable()
export class TokenVerifier {
  private readonly keys: Promise<VerificationKey[]>;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly watchTokens: WatchTokens,
  ) {
    this.keys = this.loadKeys();
  }

  /** The principal, or null for any token that is not valid now. */
  async verify(token: unknown): Promise<Principal | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) return null;
    const watch = await this.watchTokens.verify(token);
    if (watch) return watch;
    const options: JWTVerifyOptions = {
      requiredClaims: ['exp', 'sub'],
      clockTolerance: Math.round(this.config.JWT_CLOCK_SKEW / 1000),
      ...(this.config.JWT_ISSUER && { issuer: this.config.JWT_ISSUER }),
    };
    for (const { key, algorithms } of await this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, { ...options, algorithms });
        if (!this.acceptsAudience(payload.aud)) return null;
        const tenant = typeof payload.tenant === 'string' ? payload.tenant : undefined;
        if (typeof payload.sub !== 'string' || payload.sub.length === 0 || typeof payload.exp !== 'number') return null;
        const identity = { sub: payload.sub, ...(tenant && { tenant }), expiresAt: payload.exp * 1000 };
        if (payload.scope === undefined) return { kind: 'user', ...identity };
        // A service token: its scopes, space-separated; unknown ones grant nothing.
        const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
        const scopes = new Set(Object.values(Scope).filter((scope) => granted.includes(scope)));
        return { kind: 'service', ...identity, scopes };
      } catch {
        // Try the next key; a token is valid when any configured key verifies it.
      }
    }
    return null;
  }

  /** Signs a short-lived HS256 token; only reachable when DEV_TOKENS is on. */
  async signDevToken(sub: string, tenant?: string, scope?: string): Promise<string> {
    const secret = new TextEncoder().encode(this.config.JWT_SECRET);
    let jwt = new SignJWT({ ...(tenant && { tenant }), ...(scope !== undefined && { scope }) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(DEV_TOKEN_LIFETIME);
    if (this.config.JWT_ISSUER) jwt = jwt.setIssuer(this.config.JWT_ISSUER);
    return jwt.setAudience(DEV_TOKEN_AUDIENCE).sign(secret);
  }

  private acceptsAudience(claim: string | string[] | undefined): boolean {
    const audiences = claim === undefined ? [] : [claim].flat();
    if (audiences.includes(DEV_TOKEN_AUDIENCE)) return this.config.DEV_TOKENS;
    return this.config.JWT_AUDIENCE === undefined || audiences.includes(this.config.JWT_AUDIENCE);
  }

  private async loadKeys(): Promise<VerificationKey[]> {
    const keys: VerificationKey[] = [];
    if (this.config.JWT_SECRET)
      keys.push({ key: new TextEncoder().encode(this.config.JWT_SECRET), algorithms: ['HS256'] });
    if (this.config.JWT_PUBLIC_KEY) {
      const pem = this.config.JWT_PUBLIC_KEY.replace(/\\n/g, '\n');
      const algorithm = pem.includes('BEGIN PUBLIC KEY') && (await isEcKey(pem)) ? 'ES256' : 'RS256';
      keys.push({ key: await importSPKI(pem, algorithm), algorithms: [algorithm] });
    }
    return keys;
  }
}

async function isEcKey(pem: string): Promise<boolean> {
  const { createPublicKey } = await import('node:crypto');
  return createPublicKey(pem).asymmetricKeyType === 'ec';
}
