import { JobFeedTouches } from '@jobcast/job-feeds';
import { JobEventLog, JobLogAppendError } from '@jobcast/job-log';
import { LOGGER } from '@jobcast/observability';
import { RedisKeys, REDIS, type RedisClient } from '@jobcast/redis';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import claimExpiredLease from './lua/claim-expired-lease.lua';

/** How often every gateway looks for external jobs whose lease is over. */
const REAP_INTERVAL_MS = 1000;
/** Jobs one look takes at most; the next look takes the rest. */
const REAP_BATCH = 100;
/** A gateway that claimed a job and died before failing it leaves it to another after this. */
const CLAIM_MS = 10_000;

interface ReaperCommands {
  jobcastClaimLease(deadlines: string, jobId: string, now: string, claimUntil: string): Promise<number>;
}

/**
 * Fails external jobs whose service stopped reporting: each append renews the job's lease, and a job whose
 * lease runs out before its terminal event gets `failed {error: {code: "LEASE_EXPIRED"}}`, so no watcher
 * waits for ever. Every gateway runs it: deadlines live in one sorted set, a claim is atomic, and the fail
 * itself checks the lease in the job's own snapshot, so an append that renewed it meanwhile wins.
 */
@Injectable()
export class LeaseReaper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly redis: RedisClient & ReaperCommands;
  private timer: NodeJS.Timeout | undefined;
  private reaping = false;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly eventLog: JobEventLog,
    private readonly feedTouches: JobFeedTouches,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    redis.defineCommand('jobcastClaimLease', { numberOfKeys: 1, lua: claimExpiredLease });
    this.redis = redis as RedisClient & ReaperCommands;
  }

  /** The job's lease ends at `deadline` (ms since epoch) unless renewed. */
  async track(jobId: string, deadline: number): Promise<void> {
    await this.redis.zadd(this.keys.leaseDeadlines(), deadline, jobId);
  }

  /** The job ended: nothing to reap. */
  async forget(jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.leaseDeadlines(), jobId);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reap(), REAP_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async reap(now = Date.now()): Promise<void> {
    if (this.reaping) return;
    this.reaping = true;
    try {
      const due = await this.redis.zrangebyscore(this.keys.leaseDeadlines(), '-inf', now, 'LIMIT', 0, REAP_BATCH);
      for (const jobId of due) {
        const claimed = await this.redis.jobcastClaimLease(
          this.keys.leaseDeadlines(),
          jobId,
          String(now),
          String(now + CLAIM_MS),
        );
        if (claimed === 1) await this.expire(jobId);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for expired leases; trying again');
    } finally {
      this.reaping = false;
    }
  }

  private async expire(jobId: string): Promise<void> {
    try {
      const outcome = await this.eventLog.expireLease(jobId);
      if ('leaseUntil' in outcome) return await this.track(jobId, outcome.leaseUntil);
      this.logger.info({ jobId }, 'external job failed: its lease expired');
    } catch (error) {
      if (!(error instanceof JobLogAppendError)) throw error;
      // Ended or gone meanwhile: only its feeds may still lack its end.
    }
    await this.feedTouches.changed(jobId);
    await this.forget(jobId);
  }
}
