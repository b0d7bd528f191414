import type { RedisClient, RedisKeys } from '@jobcast/redis';
import { tenantOfOwnerKey } from './feeds-of-job';

export interface TagIndexBounds {
  /** Entries older than this (JOB_MAX_AGE) can only name expired jobs: they are dropped. */
  maxAgeMs: number;
  /** Each index keeps the newest this many jobs: listing by tag goes back that far and no further. */
  maxJobs: number;
}

/** Whose jobs with a tag to list: an owner's (a user's listing), or a tenant's (a service's). */
export type TagIndexScope = { owner: string; tag: string } | { tenant: string; tag: string };

/**
 * The listing index of `GET /jobs?tag=`: per tag, an owner's job ids and a tenant's, newest first, so a
 * filtered listing reads a page of ids instead of scanning every job. Bounded by age and by count on each add.
 */
export class JobTagIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly bounds: TagIndexBounds,
  ) {}

  /**
   * Adds a new job under each of its tags: one MULTI in the owner's slot, one in the tenant's. (A job's tags
   * never change, so this runs once, when the job is created.)
   */
  async add(job: { id: string; owner: string; tags: readonly string[]; createdAt: number }): Promise<void> {
    if (job.tags.length === 0) return;
    const tenant = tenantOfOwnerKey(job.owner);
    const oldest = Date.now() - this.bounds.maxAgeMs;
    const write = (keys: string[]) => {
      const multi = this.redis.multi();
      for (const key of keys) {
        multi
          .zadd(key, job.createdAt, job.id)
          .zremrangebyscore(key, '-inf', oldest)
          .zremrangebyrank(key, 0, -this.bounds.maxJobs - 1)
          .pexpire(key, this.bounds.maxAgeMs);
      }
      return multi.exec();
    };
    await Promise.all([
      write(job.tags.map((tag) => this.keys.ownerTagJobs(job.owner, tag))),
      write(job.tags.map((tag) => this.keys.tenantTagJobs(tenant, tag))),
    ]);
  }

  /** A page of job ids, newest first. */
  page(scope: TagIndexScope, offset: number, limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keyOf(scope), offset, offset + limit - 1);
  }

  /** Drops ids whose jobs have expired, found by a listing. */
  async remove(scope: TagIndexScope, jobIds: readonly string[]): Promise<void> {
    if (jobIds.length > 0) await this.redis.zrem(this.keyOf(scope), ...jobIds);
  }

  private keyOf(scope: TagIndexScope): string {
    return 'owner' in scope
      ? this.keys.ownerTagJobs(scope.owner, scope.tag)
      : this.keys.tenantTagJobs(scope.tenant, scope.tag);
  }
}
