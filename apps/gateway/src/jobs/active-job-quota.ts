import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ErrorCode, isTerminalStatus } from '@jobcast/contracts';
import { RedisKeys, type RedisClient, REDIS } from '@jobcast/redis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { ApiException } from '../http/api-exception';
import reserveActiveJob from './lua/reserve-active-job.lua';

/** How long a refused submitter is told to wait: jobs end on their own, there is no exact time to give. */
const RETRY_AFTER_SECONDS = 5;

interface QuotaCommands {
  jobcastReserveActive(active: string, at: string, cap: string, ttlMs: string, ...jobIds: string[]): Promise<number>;
}

/**
 * At most MAX_ACTIVE_JOBS_PER_USER queued or running jobs per owner, so that one user cannot fill every
 * worker's queue. Each submit takes a place in the owner's set of active jobs (a batch one for each of its
 * jobs, all or none); jobs that have ended are
 * counted out only when the set is full (one status read per member then), which keeps a submit to one
 * round trip in the common case.
 */
@Injectable()
export class ActiveJobQuota {
  private readonly redis: RedisClient & QuotaCommands;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: RedisKeys,
  ) {
    redis.defineCommand('jobcastReserveActive', { numberOfKeys: 1, lua: reserveActiveJob });
    this.redis = redis as RedisClient & QuotaCommands;
  }

  /**
   * Takes a place for each job (not created yet), all or none, or answers 429 TOO_MANY_ACTIVE_JOBS with
   * Retry-After. All at once, so that jobs of the same batch never count each other out as ended.
   */
  async reserve(owner: string, jobIds: readonly string[], now = Date.now()): Promise<void> {
    if (await this.tryReserve(owner, jobIds, now)) return;
    await this.countOutEnded(owner);
    if (await this.tryReserve(owner, jobIds, now)) return;
    throw new ApiException(
      ErrorCode.TOO_MANY_ACTIVE_JOBS,
      HttpStatus.TOO_MANY_REQUESTS,
      `At most ${this.config.MAX_ACTIVE_JOBS_PER_USER} queued or running jobs per user; wait for one to end`,
      { retryAfterSeconds: RETRY_AFTER_SECONDS },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }

  /** Gives the places back: the jobs were not created after all (an idempotent resubmit, a failure). */
  async release(owner: string, jobIds: readonly string[]): Promise<void> {
    await this.redis.zrem(this.keys.ownerActiveJobs(owner), ...jobIds);
  }

  private async tryReserve(owner: string, jobIds: readonly string[], now: number): Promise<boolean> {
    const reserved = await this.redis.jobcastReserveActive(
      this.keys.ownerActiveJobs(owner),
      String(now),
      String(this.config.MAX_ACTIVE_JOBS_PER_USER),
      String(this.config.JOB_MAX_AGE),
      ...jobIds,
    );
    return reserved === 1;
  }

  private async countOutEnded(owner: string): Promise<void> {
    const key = this.keys.ownerActiveJobs(owner);
    const jobIds = await this.redis.zrange(key, '0', '-1');
    const statuses = await Promise.all(jobIds.map((jobId) => this.redis.hget(this.keys.jobSnapshot(jobId), 'status')));
    const ended = jobIds.filter((_, i) => {
      const status = statuses[i];
      return status === null || status === undefined || isTerminalStatus(status);
    });
    if (ended.length > 0) await this.redis.zrem(key, ...ended);
  }
}
