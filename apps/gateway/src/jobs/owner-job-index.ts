import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys, type RedisClient, REDIS } from '@jobcast/redis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';

/** Per-owner keys: the list of an owner's jobs, newest first, and idempotency keys. */
@Injectable()
export class OwnerJobIndex {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: RedisKeys,
  ) {}

  /** Claims an idempotency key for a new job id; answers the id that already holds it, if any. */
  async claimIdempotencyKey(owner: string, key: string, jobId: string): Promise<string | null> {
    const redisKey = this.keys.idempotency(owner, key);
    const claimed = await this.redis.set(redisKey, jobId, 'PX', this.config.JOB_TTL, 'NX');
    return claimed === 'OK' ? null : await this.redis.get(redisKey);
  }

  async add(owner: string, jobId: string, createdAt: number): Promise<void> {
    const key = this.keys.ownerJobs(owner);
    // Entries older than JOB_MAX_AGE can only point at expired jobs; the index itself goes with its newest job.
    await this.redis
      .multi()
      .zadd(key, createdAt, jobId)
      .zremrangebyscore(key, '-inf', Date.now() - this.config.JOB_MAX_AGE)
      .pexpire(key, this.config.JOB_MAX_AGE)
      .exec();
  }

  /** A page of job ids, newest first. */
  async page(owner: string, offset: number, limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.ownerJobs(owner), offset, offset + limit - 1);
  }

  async remove(owner: string, jobIds: string[]): Promise<void> {
    if (jobIds.length > 0) await this.redis.zrem(this.keys.ownerJobs(owner), ...jobIds);
  }
}
