import { isTerminalEvent, type JobEvent, type JobEventBody, type JobSnapshot } from '@jobcast/contracts';
import type { RedisClient, RedisKeys } from '@jobcast/redis';
import { APPEND_EVENT_LUA, CREATE_JOB_LUA, READ_SINCE_LUA, REQUEST_CANCEL_LUA } from './lua-scripts';
import { decodeJobRecord, snapshotPatchFor, type JobRecord } from './snapshot-codec';

export interface JobRetention {
  /** How long a job's log and snapshot live after its terminal event. */
  ttlSeconds: number;
  /** Approximate cap on the number of events kept per job. */
  maxEvents: number;
}

export interface NewJob {
  id: string;
  type: string;
  owner: string;
}

/** Why an append was refused. */
export class JobLogAppendError extends Error {
  constructor(readonly reason: 'JOB_NOT_FOUND' | 'JOB_FINISHED' | 'JOB_EXISTS') {
    super(reason);
    this.name = 'JobLogAppendError';
  }
}

type Entry = [id: string, fields: string[]];

interface LogCommands {
  jobcastAppend(snapshot: string, log: string, channel: string, ...args: string[]): Promise<string>;
  jobcastCreate(snapshot: string, log: string, channel: string, ...args: string[]): Promise<string>;
  jobcastReadSince(snapshot: string, log: string, fromSeq: string): Promise<[string[], Entry[]]>;
  jobcastRequestCancel(snapshot: string): Promise<number>;
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
    redis.defineCommand('jobcastReadSince', { numberOfKeys: 2, lua: READ_SINCE_LUA });
    redis.defineCommand('jobcastRequestCancel', { numberOfKeys: 1, lua: REQUEST_CANCEL_LUA });
    this.redis = redis as RedisClient & LogCommands;
  }

  /** Creates the job's snapshot and logs `queued` as seq 1. */
  async create(job: NewJob, at = Date.now()): Promise<JobSnapshot> {
    const body: JobEventBody = { type: 'queued', data: {} };
    const fields = { id: job.id, type: job.type, owner: job.owner, createdAt: String(at) };
    await this.run('jobcastCreate', job.id, body, at, fields);
    const record = await this.getRecord(job.id);
    if (!record) throw new JobLogAppendError('JOB_NOT_FOUND');
    return record.snapshot;
  }

  /** Appends one event and publishes it; refused with JobLogAppendError once the job has finished. */
  async append(jobId: string, body: JobEventBody, at = Date.now()): Promise<JobEvent> {
    return JSON.parse(await this.run('jobcastAppend', jobId, body, at)) as JobEvent;
  }

  /** The snapshot and owner, or null when the job does not exist (or has expired). */
  async getRecord(jobId: string): Promise<JobRecord | null> {
    const flat = await this.redis.hgetall(this.keys.jobSnapshot(jobId));
    return decodeJobRecord(Object.entries(flat).flat());
  }

  /** The record and every logged event with seq > afterSeq, read atomically so they agree. */
  async readSince(jobId: string, afterSeq = 0): Promise<{ record: JobRecord; events: JobEvent[] } | null> {
    const [flat, entries] = await this.redis.jobcastReadSince(
      this.keys.jobSnapshot(jobId),
      this.keys.jobLog(jobId),
      String(afterSeq + 1),
    );
    const record = decodeJobRecord(flat);
    if (!record) return null;
    return { record, events: entries.map(([, fields]) => JSON.parse(fields[1] as string) as JobEvent) };
  }

  /** Marks the job for cancellation; false when it does not exist. */
  async requestCancel(jobId: string): Promise<boolean> {
    return (await this.redis.jobcastRequestCancel(this.keys.jobSnapshot(jobId))) === 1;
  }

  private async run(
    command: 'jobcastAppend' | 'jobcastCreate',
    jobId: string,
    body: JobEventBody,
    at: number,
    extraFields: Record<string, string> = {},
  ): Promise<string> {
    const head = `{"jobId":${JSON.stringify(jobId)},"seq":`;
    const tail = `,"type":${JSON.stringify(body.type)},"at":${at},"data":${JSON.stringify(body.data)}}`;
    const patch = { ...extraFields, ...snapshotPatchFor(body, at) };
    try {
      return await this.redis[command](
        this.keys.jobSnapshot(jobId),
        this.keys.jobLog(jobId),
        this.keys.jobChannel(jobId),
        head,
        tail,
        isTerminalEvent(body) ? '1' : '0',
        String(this.retention.maxEvents),
        String(this.retention.ttlSeconds),
        ...Object.entries(patch).flat(),
      );
    } catch (error) {
      const reason = (error as Error).message;
      if (reason === 'JOB_NOT_FOUND' || reason === 'JOB_FINISHED' || reason === 'JOB_EXISTS') {
        throw new JobLogAppendError(reason);
      }
      throw error;
    }
  }
}
