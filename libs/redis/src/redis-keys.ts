/**
 * A feed: a live view of many jobs. An owner's (every job of one owner key), a tag's within one owner, a tag's
 * within one tenant (what a service that may read sees), a batch's.
 */
export type FeedIdentity =
  | { kind: 'owner'; owner: string }
  | { kind: 'tag'; owner: string; tag: string }
  | { kind: 'tenant-tag'; tenant: string; tag: string }
  | { kind: 'batch'; batchId: string };

/**
 * Every key Jobcast writes. A job's keys share the hash tag `{jobId}`, so on a Redis Cluster they live in
 * one slot and one Lua script can update them together.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** The job's event log, a Stream whose entry ids are `0-<seq>`. */
  jobLog(jobId: string): string {
    return this.ofJob(jobId, 'log');
  }

  /** The job's snapshot, a Hash. */
  jobSnapshot(jobId: string): string {
    return this.ofJob(jobId, 'snapshot');
  }

  /** The sharded Pub/Sub channel each appended event is published on. */
  jobChannel(jobId: string): string {
    return this.ofJob(jobId, 'live');
  }

  /** Marks an append request (by its Idempotency-Key, hashed) as applied, with the seq it answered. */
  jobAppendRequest(jobId: string, keyHash: string): string {
    return this.ofJob(jobId, `appended:${keyHash}`);
  }

  /** Counts appends to one job in one rate-limit window. */
  jobAppendRate(jobId: string, window: number): string {
    return this.ofJob(jobId, `appends:${window}`);
  }

  /** Lease deadlines of external jobs: job id -> ms since epoch, for the gateways' reaper. */
  leaseDeadlines(): string {
    return `${this.prefix}:leases`;
  }

  /** A sorted set of an owner's job ids, scored by creation time. */
  ownerJobs(owner: string): string {
    return this.ofOwner(owner, 'jobs');
  }

  /** An owner's queued or running jobs, scored by creation time: what MAX_ACTIVE_JOBS_PER_USER counts. */
  ownerActiveJobs(owner: string): string {
    return this.ofOwner(owner, 'active');
  }

  /** Maps an owner's idempotency key to the job it created. */
  idempotency(owner: string, key: string): string {
    return this.ofOwner(owner, `idempotency:${key}`);
  }

  /** Counts an owner's submissions in one rate-limit window. */
  submitRate(owner: string, window: number): string {
    return this.ofOwner(owner, `submits:${window}`);
  }

  /**
   * An owner's job ids with one tag, scored by creation time: `GET /jobs?tag=` for a user. In the owner's slot,
   * so a job's creation adds it to the owner's index and these in one MULTI.
   */
  ownerTagJobs(owner: string, tag: string): string {
    return this.ofOwner(owner, `tag:${tag}:jobs`);
  }

  /** A tenant's job ids with one tag, scored by creation time: `GET /jobs?tag=` for a service. */
  tenantTagJobs(tenant: string, tag: string): string {
    // The hash tag is never empty, even for jobs of no tenant: Redis Cluster hashes a key with an empty `{}`
    // whole, which would put each tag's key of one tenant in a slot of its own, and fail the MULTI that adds
    // a job under all its tags.
    return `${this.prefix}:tenant:{tenant:${tenant}}:tag:${tag}:jobs`;
  }

  /** A feed's clock: a Hash of `epoch` (set when the feed is first written), `clock`, and `floor`. */
  feedClock(feed: FeedIdentity): string {
    return this.ofFeed(feed, 'clock');
  }

  /** A feed's jobs, each once, scored by the clock of its latest change. */
  feedChanges(feed: FeedIdentity): string {
    return this.ofFeed(feed, 'changes');
  }

  /** The sharded Pub/Sub channel each change of a feed's job is published on. */
  feedChannel(feed: FeedIdentity): string {
    return this.ofFeed(feed, 'live');
  }

  /** A batch: owner, total, counts per status, percent sum, times. In its feed's slot (see ofFeed). */
  batchRecord(batchId: string): string {
    return this.ofFeed({ kind: 'batch', batchId }, 'batch');
  }

  /** Each job of a batch -> `<status>|<percent in hundredths>|<lastSeq>`, as last counted in the record. */
  batchJobStates(batchId: string): string {
    return this.ofFeed({ kind: 'batch', batchId }, 'job-states');
  }

  /** A batch's job ids, in the order they were submitted. */
  batchJobIds(batchId: string): string {
    return this.ofFeed({ kind: 'batch', batchId }, 'job-ids');
  }

  /** Workers listen here for cancellation of jobs they may be running. */
  cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  /** Registered job types, name -> registration JSON. */
  jobTypeRegistrations(): string {
    return this.ofJobTypes('registrations');
  }

  /** When each registered job type ages out unless a worker refreshes it, name -> ms since epoch. */
  jobTypeExpiry(): string {
    return this.ofJobTypes('expiry');
  }

  /** Live workers of each job type: members `<type> <workerId>`, scored by when their liveness ends. */
  jobTypeWorkers(): string {
    return this.ofJobTypes('workers');
  }

  /**
   * BullMQ's key prefix for one job type's queue. Each type has its own queue, so a worker only ever
   * receives types it runs; the braces keep every key of one queue in one Cluster slot, and spread the
   * queues of different types over the masters. Type names are restricted to `[a-z0-9._-]`, so they are
   * safe in a key.
   */
  queuePrefix(jobType: string): string {
    return `{${this.prefix}:queue:${jobType}}`;
  }

  /** A key of one job; the hash tag `{jobId}` keeps all of them in one Cluster slot. */
  private ofJob(jobId: string, name: string): string {
    return `${this.prefix}:job:{${jobId}}:${name}`;
  }

  /** A key of one owner; the hash tag `{owner}` keeps all of them in one Cluster slot. */
  private ofOwner(owner: string, name: string): string {
    return `${this.prefix}:owner:{${owner}}:${name}`;
  }

  /**
   * A key of one feed. Each feed has its own hash tag, so one Lua script moves its clock, its changes and
   * (for a batch) the batch's record and counts together on a Redis Cluster, and different feeds spread over
   * the masters. Owner keys and tenants are URI-encoded (no `:`, `{` or `}`) and tags and batch ids allow no
   * braces, so no two feeds share a tag by accident.
   */
  private ofFeed(feed: FeedIdentity, name: string): string {
    return `${this.prefix}:feed:{${feedTag(feed)}}:${name}`;
  }

  /** A key of the job-type directory; they share one hash tag, so its script can update them together. */
  private ofJobTypes(name: string): string {
    return `{${this.prefix}:job-types}:${name}`;
  }
}

function feedTag(feed: FeedIdentity): string {
  switch (feed.kind) {
    case 'owner':
      return `owner:${feed.owner}`;
    case 'tag':
      return `tag:${feed.owner}:${feed.tag}`;
    case 'tenant-tag':
      return `tenant-tag:${feed.tenant}:${feed.tag}`;
    case 'batch':
      return `batch:${feed.batchId}`;
  }
}

/** The BullMQ queue name under each job type's prefix. */
export const JOBS_QUEUE_NAME = 'jobs';
