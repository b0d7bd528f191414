import { ErrorCode, isTerminalEvent, type JobEvent, type JobEventBody, type JobSnapshot } from '@jobcast/contracts';
import type { RedisClient, RedisKeys } from '@jobcast/redis';
import { createHash } from 'node:crypto';
import { APPEND_EVENTS_LUA, APPEND_EVENT_LUA, CREATE_JOB_LUA, EXPIRE_LEASE_LUA, READ_SINCE_LUA } from './lua-scripts';
import { JobLogAppendError } from './job-log-append-error';
import {
  creationFields,
  decodeJobRecord,
  snapshotPatchFor,
  type JobRecord,
  type SnapshotPatch,
} from './snapshot-codec';

export interface JobRetention {
  /** How long a job's log and snapshot live after its terminal event. */
  ttlSeconds: number;
  /** Approximate cap on the number of events kept per job. */
  maxEvents: number;
  /** The longest a job's keys live from its creation, finished or not. */
  maxAgeMs: number;
}

export interface NewJob {
  id: string;
  type: string;
  owner: string;
  /** Stored with the job and carried by its snapshot; they never change. None: the snapshot has no `tags`. */
  tags?: readonly string[];
  /** The batch the job was submitted in. */
  batchId?: string;
  /** For an external job: the service that reports its events, and its lease. */
  external?: { publisher: string; leaseMs: number };
}

export interface AppendBatchOptions {
  /** A retried request with the same key appends nothing again and answers the same seq. */
  idempotencyKey?: string;
  /** The job's new lease deadline, in ms since epoch. */
  leaseUntil?: number;
}

type Entry = [id: string, fields: string[]];
type AppendCommand = 'jobcastAppend' | 'jobcastCreate' | 'jobcastExpireLease';

interface LogCommands {
  jobcastAppend(snapshot: string, log: string, channel: string, ...args: string[]): Promise<string>;
  jobcastCreate(snapshot: string, log: string, channel: string, ...args: string[]): Promise<string>;
  jobcastAppendEvents(
    snapshot: string,
    log: string,
    channel: string,
    request: string,
    ...args: string[]
  ): Promise<string>;
  jobcastExpireLease(snapshot: string, log: string, channel: string, ...args: string[]): Promise<string>;
  jobcastReadSince(snapshot: string, log: string, fromSeq: string, count: string): Promise<[string[], Entry[]]>;
}

/**
 * A job's event log: the next seq, append, read after a seq, snapshot. Backed by a Redis Stream (entry id
 * `0-<seq>`) and a Hash per job; every append is also published on the job's sharded channel.
 */
export class JobEventLog {
  private readonly redis: RedisClient & LogCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly retention: JobRetention,
  ) {
    redis.defineCommand('jobcastAppend', { numberOfKeys: 3, lua: APPEND_EVENT_LUA });
    redis.defineCommand('jobcastCreate', { numberOfKeys: 3, lua: CREATE_JOB_LUA });
    redis.defineCommand('jobcastAppendEvents', { numberOfKeys: 4, lua: APPEND_EVENTS_LUA });
    redis.defineCommand('jobcastExpireLease', { numberOfKeys: 3, lua: EXPIRE_LEASE_LUA });
    redis.defineCommand('jobcastReadSince', { numberOfKeys: 2, lua: READ_SINCE_LUA });
    this.redis = redis as RedisClient & LogCommands;
  }

  /** Creates the job's snapshot and logs `queued` as seq 1; its keys live at most `maxAgeMs` from now. */
  async create(job: NewJob, at = Date.now()): Promise<JobSnapshot> {
    const body: JobEventBody = { type: 'queued', data: {} };
    const fields: Record<string, string> = {
      id: job.id,
      type: job.type,
      owner: job.owner,
      createdAt: String(at),
      ...creationFields(job),
    };
    if (job.external) {
      fields.publisher = job.external.publisher;
      fields.leaseMs = String(job.external.leaseMs);
      fields.leaseUntil = String(at + job.external.leaseMs);
    }
    await this.run('jobcastCreate', job.id, body, at, [String(this.retention.maxAgeMs)], fields);
    const record = await this.getRecord(job.id);
    if (!record) throw new JobLogAppendError('JOB_NOT_FOUND');
    return record.snapshot;
  }

  /** Appends one event and publishes it; refused with JobLogAppendError once the job has finished. */
  async append(jobId: string, body: JobEventBody, at = Date.now()): Promise<JobEvent> {
    return JSON.parse(await this.run('jobcastAppend', jobId, body, at)) as JobEvent;
  }

  /**
   * Appends events in order, all or none, and answers the last seq. Only the last may be terminal (the
   * caller checks). Refused with JobLogAppendError once the job has finished, unless the idempotency key
   * was already applied: then nothing is appended and the seq it answered then is answered again.
   */
  async appendBatch(
    jobId: string,
    bodies: readonly JobEventBody[],
    options: AppendBatchOptions = {},
    at = Date.now(),
  ): Promise<number> {
    const perEvent = bodies.flatMap((body) => {
      const [head, tail] = eventJsonAround(jobId, body, at);
      return [head, tail, isTerminalEvent(body) ? '1' : '0', ...patchArgs(snapshotPatchFor(body, at))];
    });
    const keyHash = createHash('sha256')
      .update(options.idempotencyKey ?? '')
      .digest('hex');
    const seq = await this.guarded(() =>
      this.redis.jobcastAppendEvents(
        this.keys.jobSnapshot(jobId),
        this.keys.jobLog(jobId),
        this.keys.jobChannel(jobId),
        this.keys.jobAppendRequest(jobId, keyHash),
        options.idempotencyKey === undefined ? '0' : '1',
        String(this.retention.maxEvents),
        String(this.retention.ttlSeconds),
        options.leaseUntil === undefined ? '' : String(options.leaseUntil),
        String(bodies.length),
        ...perEvent,
      ),
    );
    return Number(seq);
  }

  /**
   * Fails an external job whose lease is over, with `failed {error: {code: "LEASE_EXPIRED"}}`. Answers the
   * event, or the renewed deadline when an append renewed the lease meanwhile; JOB_FINISHED when it ended.
   */
  async expireLease(jobId: string, now = Date.now()): Promise<{ event: JobEvent } | { leaseUntil: number }> {
    const body: JobEventBody = {
      type: 'failed',
      data: {
        error: { code: ErrorCode.LEASE_EXPIRED, message: 'the service reporting this job stopped renewing its lease' },
        attempts: 0,
      },
    };
    const answer = await this.run('jobcastExpireLease', jobId, body, now, [String(now)]);
    return answer.startsWith('{') ? { event: JSON.parse(answer) as JobEvent } : { leaseUntil: Number(answer) };
  }

  /** The snapshot and owner, or null when the job does not exist (or has expired). */
  async getRecord(jobId: string): Promise<JobRecord | null> {
    const flat = await this.redis.hgetall(this.keys.jobSnapshot(jobId));
    return decodeJobRecord(Object.entries(flat).flat());
  }

  /**
   * The record and the first `limit` logged events with seq > afterSeq, read atomically so they agree: a page
   * of the log, so that no read costs more than a page however long the job's log is.
   */
  async readSince(
    jobId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ record: JobRecord; events: JobEvent[] } | null> {
    const [flat, entries] = await this.redis.jobcastReadSince(
      this.keys.jobSnapshot(jobId),
      this.keys.jobLog(jobId),
      String(afterSeq + 1),
      String(limit),
    );
    const record = decodeJobRecord(flat);
    if (!record) return null;
    return { record, events: entries.map(([, fields]) => JSON.parse(fields[1] as string) as JobEvent) };
  }

  private run(
    command: AppendCommand,
    jobId: string,
    body: JobEventBody,
    at: number,
    leadingArgs: string[] = [],
    extraFields: Record<string, string> = {},
  ): Promise<string> {
    const [head, tail] = eventJsonAround(jobId, body, at);
    const patch = snapshotPatchFor(body, at);
    return this.guarded(() =>
      this.redis[command](
        this.keys.jobSnapshot(jobId),
        this.keys.jobLog(jobId),
        this.keys.jobChannel(jobId),
        ...leadingArgs,
        head,
        tail,
        isTerminalEvent(body) ? '1' : '0',
        String(this.retention.maxEvents),
        String(this.retention.ttlSeconds),
        ...patchArgs({ set: { ...extraFields, ...patch.set }, remove: patch.remove }),
      ),
    );
  }

  /** Turns the scripts' error replies into JobLogAppendError. */
  private async guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const reason = /(JOB_NOT_FOUND|JOB_FINISHED|JOB_EXISTS)$/.exec((error as Error).message)?.[1];
      if (reason) throw new JobLogAppendError(reason as JobLogAppendError['reason']);
      throw error;
    }
  }
}

/** A snapshot patch as the scripts take it: how many fields it sets, their names and values, then the removed. */
function patchArgs({ set, remove }: SnapshotPatch): string[] {
  const pairs = Object.entries(set).flat();
  return [String(pairs.length / 2), ...pairs, String(remove.length), ...remove];
}

/** The event's JSON before and after its seq, which the script allocates and splices in. */
function eventJsonAround(jobId: string, body: JobEventBody, at: number): [head: string, tail: string] {
  return [
    `{"jobId":${JSON.stringify(jobId)},"seq":`,
    `,"type":${JSON.stringify(body.type)},"at":${at},"data":${JSON.stringify(body.data)}}`,
  ];
}
