import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ErrorCode } from '@jobcast/contracts';
import { RedisKeys, type RedisClient, REDIS } from '@jobcast/redis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { ApiException } from '../http/api-exception';

const WINDOW_MS = 60_000;

/**
 * Submissions per owner per minute, counted in Redis so the limit holds across every gateway.
 * A fixed window: cheap (one INCR) and good enough for abuse protection.
 */
@Injectable()
export class SubmitRateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: RedisKeys,
  ) {}

  /** Counts one submission, or answers 429 RATE_LIMITED with Retry-After. */
  async consume(owner: string, now = Date.now()): Promise<void> {
    const window = Math.floor(now / WINDOW_MS);
    const key = this.keys.submitRate(owner, window);
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, WINDOW_MS).exec()) as [[unknown, number]];
    if (count <= this.config.SUBMIT_RATE_PER_MINUTE) return;
    const retryAfter = Math.ceil(((window + 1) * WINDOW_MS - now) / 1000);
    throw new ApiException(
      ErrorCode.RATE_LIMITED,
      HttpStatus.TOO_MANY_REQUESTS,
      `At most ${this.config.SUBMIT_RATE_PER_MINUTE} submissions per minute`,
      { retryAfterSeconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  }
}
