import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ErrorCode } from '@jobcast/contracts';
import { RedisKeys, type RedisClient, REDIS } from '@jobcast/redis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { ApiException } from '../http/api-exception';

/**
 * Limits counted in Redis, so that each holds across every gateway: submissions per owner per minute, and
 * event appends per external job per second. Fixed windows: cheap (one INCR) and good enough for abuse
 * protection.
 */
@Injectable()
export class RateLimits {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: RedisKeys,
  ) {}

  /** Counts one submission, or answers 429 RATE_LIMITED with Retry-After. */
  consumeSubmit(owner: string, now = Date.now()): Promise<void> {
    const limit = this.config.SUBMIT_RATE_PER_MINUTE;
    return this.consume((window) => this.keys.submitRate(owner, window), 60_000, limit, now, 'submissions per minute');
  }

  /** Counts one append request to an external job, or answers 429 RATE_LIMITED with Retry-After. */
  consumeAppend(jobId: string, now = Date.now()): Promise<void> {
    const limit = this.config.APPEND_RATE_PER_SECOND;
    return this.consume((window) => this.keys.jobAppendRate(jobId, window), 1000, limit, now, 'appends per second');
  }

  private async consume(
    keyOf: (window: number) => string,
    windowMs: number,
    limit: number,
    now: number,
    what: string,
  ): Promise<void> {
    const window = Math.floor(now / windowMs);
    const key = keyOf(window);
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, windowMs).exec()) as [[unknown, number]];
    if (count <= limit) return;
    const retryAfter = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    throw new ApiException(
      ErrorCode.RATE_LIMITED,
      HttpStatus.TOO_MANY_REQUESTS,
      `At most ${limit} ${what}`,
      { retryAfterSeconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  }
}
