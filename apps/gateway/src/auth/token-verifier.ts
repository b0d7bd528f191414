import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { Scope, type Principal } from './principal';
import { WatchTokens } from './watch-tokens';

const DEV_TOKEN_LIFETIME = '24h';

interface VerificationKey {
  key: Uint8Array | CryptoKey;
  algorithms: string[];
}

/**
 * Verifies bearer tokens: the algorithm is pinned by the key type (HS256 for JWT_SECRET, RS256/ES256 for
 * JWT_PUBLIC_KEY), so neither `none` nor an HS/RS swap gets through; `exp` and `sub` are required.
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
      ...(this.config.JWT_AUDIENCE && { audience: this.config.JWT_AUDIENCE }),
    };
    for (const { key, algorithms } of await this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, { ...options, algorithms });
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
    if (this.config.JWT_AUDIENCE) jwt = jwt.setAudience(this.config.JWT_AUDIENCE);
    return jwt.sign(secret);
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
