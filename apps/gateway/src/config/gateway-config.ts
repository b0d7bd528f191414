import { booleanFlag, duration, originList, SharedEnvSchema } from '@jobcast/config';
import { FeedEnvSchema } from '@jobcast/job-feeds';
import { RedisEnvSchema } from '@jobcast/redis';
import { hostname } from 'node:os';
import { z } from 'zod';

const byteSize = z
  .string()
  .trim()
  .regex(/^\d+(b|kb|mb)?$/i, 'must be a byte count, optionally with b, kb or mb')
  .transform((text) => {
    const [, amount = '0', unit = 'b'] = /^(\d+)(b|kb|mb)?$/i.exec(text) ?? [];
    return Number(amount) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as 'b' | 'kb' | 'mb'];
  });

export const GatewayEnvSchema = SharedEnvSchema.extend(RedisEnvSchema.shape)
  .extend(FeedEnvSchema.shape)
  .extend({
    /** HTTP and Socket.IO port. @default 3000 */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /**
     * Interface to listen on. @default 0.0.0.0, or 127.0.0.1 with DEV_TOKENS (anyone who reaches a gateway
     * that hands out tokens can act as any user: only this machine may, unless HOST says otherwise).
     */
    HOST: z.string().optional(),
    /** Name this gateway reports to clients (demo page, logs). @default <hostname>:<PORT> */
    GATEWAY_ID: z.string().max(100).optional(),
    /** HS256 secret that signs and verifies tokens; at least 32 characters. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** PEM public key (RS256 or ES256) that verifies tokens, instead of or beside JWT_SECRET. */
    JWT_PUBLIC_KEY: z.string().includes('PUBLIC KEY', { message: 'must be a PEM public key' }).optional(),
    /** When set, tokens must carry this `iss`. */
    JWT_ISSUER: z.string().optional(),
    /** When set, tokens must carry this `aud`. */
    JWT_AUDIENCE: z.string().optional(),
    /** Clock skew tolerated on `exp` and `nbf`. @default 30s */
    JWT_CLOCK_SKEW: duration.default(30_000),
    /** Serve POST /auth/dev-token; refused when NODE_ENV=production. @default 0 */
    DEV_TOKENS: booleanFlag.default(false),
    NODE_ENV: z.string().default('development'),
    /** Comma-separated origins allowed to call the API and open sockets cross-site; empty: none. */
    CORS_ORIGINS: originList.default([]),
    /** Largest HTTP request body. @default 64kb */
    HTTP_BODY_LIMIT: byteSize.default(64 * 1024),
    /** Largest message a client may send over Socket.IO or a plain WebSocket. @default 16kb */
    SOCKET_MAX_MESSAGE: byteSize.default(16 * 1024),
    /** Jobs one socket may watch at once. @default 100 */
    SOCKET_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(100_000).default(100),
    /**
     * Events a socket may have waiting while it does not keep up, after its progress is conflated; past
     * this it is disconnected (SLOW_CONSUMER) and resumes from its last seq. @default 1000
     */
    SOCKET_MAX_PENDING_EVENTS: z.coerce.number().int().min(10).max(1_000_000).default(1000),
    /** Jobs one user may submit per minute; more answer 429 with Retry-After. @default 60 */
    SUBMIT_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
    /** Subscribes one socket may send per second; more are answered RATE_LIMITED. @default 20 */
    SOCKET_SUBSCRIBE_RATE: z.coerce.number().min(1).max(100_000).default(20),
    /** Open Socket.IO, plain WebSocket and SSE connections per client IP on one gateway, together. @default 200 */
    MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(200),
    /** Take the client IP from X-Forwarded-For (set it behind a load balancer you run). @default 0 */
    TRUST_PROXY: booleanFlag.default(false),
    /** How long a watch token (`POST /jobs/:id/watch-token`) reads and watches its job. @default 15m */
    WATCH_TOKEN_TTL: duration.default(15 * 60_000).pipe(
      z
        .number()
        .min(1000, 'must be at least 1s')
        .max(7 * 86_400_000, 'must be at most 7d'),
    ),
    /** HS256 secret of watch tokens (at least 32 characters). @default JWT_SECRET */
    WATCH_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Queued or running jobs one user may have; more answer 429 TOO_MANY_ACTIVE_JOBS. @default 100 */
    MAX_ACTIVE_JOBS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(100),
    /** Most attempts a submit may ask for (`attempts`); more answer 400 VALIDATION_FAILED. @default 10 */
    MAX_ATTEMPTS: z.coerce.number().int().min(1).max(25).default(10),
    /** Event appends (`POST /jobs/:id/events`) one external job takes per second, across gateways. @default 50 */
    APPEND_RATE_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(50),
    /** SSE streams (`GET /jobs/:id/events`) one user may have open on one gateway. @default 100 */
    SSE_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(100),
    /** SSE streams one user may start per second on one gateway; more answer 429 RATE_LIMITED. @default 10 */
    SSE_START_RATE: z.coerce.number().min(1).max(100_000).default(10),
    /** Interval of SSE keep-alive comments. @default 15s */
    SSE_HEARTBEAT: duration.default(15_000),
    /** Interval of ping frames on plain WebSockets (`heartbeatMs`); a peer that misses two is closed. @default 25s */
    WS_HEARTBEAT: duration.default(25_000),
    /** How long a plain WebSocket may stay open without authenticating before it is closed (4408). @default 10s */
    WS_AUTH_TIMEOUT: duration.default(10_000),
  })
  .refine((env) => env.JWT_SECRET !== undefined || env.JWT_PUBLIC_KEY !== undefined, {
    message: 'set JWT_SECRET or JWT_PUBLIC_KEY',
    path: ['JWT_SECRET'],
  })
  .refine((env) => env.JWT_SECRET !== undefined || env.WATCH_TOKEN_SECRET !== undefined, {
    message: "set WATCH_TOKEN_SECRET to sign watch tokens when users' tokens are checked with JWT_PUBLIC_KEY alone",
    path: ['WATCH_TOKEN_SECRET'],
  })
  .refine((env) => !(env.DEV_TOKENS && env.NODE_ENV === 'production'), {
    message: 'cannot be on when NODE_ENV=production',
    path: ['DEV_TOKENS'],
  })
  .refine((env) => !env.DEV_TOKENS || env.JWT_SECRET !== undefined, {
    message: 'needs JWT_SECRET to sign dev tokens',
    path: ['DEV_TOKENS'],
  })
  .transform((env) => ({
    ...env,
    HOST: env.HOST ?? (env.DEV_TOKENS ? '127.0.0.1' : '0.0.0.0'),
    GATEWAY_ID: env.GATEWAY_ID ?? `${hostname()}:${env.PORT}`,
  }));

export type GatewayConfig = z.infer<typeof GatewayEnvSchema>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
