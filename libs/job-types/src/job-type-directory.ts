import type { RedisClient, RedisKeys } from '@jobcast/redis';
import { JobTypeRegistrationSchema, MAX_REGISTERED_JOB_TYPES, type JobTypeRegistration } from './job-type-registration';
import registerJobType from './lua/register-job-type.lua';
import { TooManyJobTypesError } from './too-many-job-types-error';

/** How a registration went; `theirSchemaHash` names the other version in a conflict. */
export interface RegistrationOutcome {
  outcome: 'registered' | 'refreshed' | 'replaced' | 'superseded';
  theirSchemaHash?: string;
}

export interface RegisterRequest {
  registration: JobTypeRegistration;
  /** This worker's liveness ends at this time unless it registers again. */
  workerExpiresAt: number;
  /** The type stays registered until this time even after its last worker is gone. */
  typeExpiresAt: number;
  now: number;
}

/** A registered job type as gateways see it. */
export interface RegisteredJobType {
  registration: JobTypeRegistration;
  /** Workers that refreshed their registration of this type within their liveness window. */
  workers: number;
}

/** A registration a gateway could not read; it is skipped and logged, never served. */
export interface UnreadableRegistration {
  name: string;
  problem: string;
}

interface DirectoryCommands {
  jobcastRegisterJobType(registrations: string, expiry: string, workers: string, ...args: string[]): Promise<string[]>;
}

/**
 * The job types registered in Redis: workers register theirs when they start and refresh them while they run;
 * gateways list them to check submits and answer `GET /job-types`. Nothing here is reachable over HTTP.
 */
export class JobTypeDirectory {
  private readonly redis: RedisClient & DirectoryCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    redis.defineCommand('jobcastRegisterJobType', { numberOfKeys: 3, lua: registerJobType });
    this.redis = redis as RedisClient & DirectoryCommands;
  }

  /** Registers (or refreshes) one job type for one worker; newest registration wins a schema conflict. */
  async register(request: RegisterRequest): Promise<RegistrationOutcome> {
    const { registration, now } = request;
    try {
      const [outcome, theirs] = (await this.redis.jobcastRegisterJobType(
        this.keys.jobTypeRegistrations(),
        this.keys.jobTypeExpiry(),
        this.keys.jobTypeWorkers(),
        registration.name,
        JSON.stringify(registration),
        registration.schemaHash,
        String(registration.registeredAt),
        String(request.typeExpiresAt),
        registration.registeredBy,
        String(request.workerExpiresAt),
        String(now),
        String(MAX_REGISTERED_JOB_TYPES),
        String(Math.max(request.typeExpiresAt, request.workerExpiresAt) - now),
      )) as [RegistrationOutcome['outcome'], string];
      return { outcome, ...(theirs && { theirSchemaHash: theirs }) };
    } catch (error) {
      // Redis prefixes a script's error reply with its own code ("ERR ").
      if ((error as Error).message.endsWith('TOO_MANY_JOB_TYPES')) throw new TooManyJobTypesError();
      throw error;
    }
  }

  /** A worker that stops says so, so `workers` drops at once instead of when its liveness runs out. */
  async unregisterWorker(names: readonly string[], workerId: string): Promise<void> {
    if (names.length === 0) return;
    await this.redis.zrem(this.keys.jobTypeWorkers(), ...names.map((name) => `${name} ${workerId}`));
  }

  /** Every unexpired registration with its live workers, in one round trip. */
  async list(now = Date.now()): Promise<{ types: RegisteredJobType[]; unreadable: UnreadableRegistration[] }> {
    const results = await this.redis
      .multi()
      .hgetall(this.keys.jobTypeRegistrations())
      .hgetall(this.keys.jobTypeExpiry())
      .zrangebyscore(this.keys.jobTypeWorkers(), now, '+inf')
      .exec();
    const [registrations, expiry, workers] = (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [Record<string, string>, Record<string, string>, string[]];
    const live = new Map<string, number>();
    for (const member of workers) {
      const name = member.slice(0, member.indexOf(' '));
      live.set(name, (live.get(name) ?? 0) + 1);
    }
    const types: RegisteredJobType[] = [];
    const unreadable: UnreadableRegistration[] = [];
    for (const [name, json] of Object.entries(registrations).slice(0, MAX_REGISTERED_JOB_TYPES)) {
      if (Number(expiry[name] ?? 0) < now) continue;
      const parsed = JobTypeRegistrationSchema.safeParse(parseJson(json));
      if (!parsed.success || parsed.data.name !== name) {
        unreadable.push({ name, problem: parsed.error?.message ?? 'name does not match its key' });
        continue;
      }
      types.push({ registration: parsed.data, workers: live.get(name) ?? 0 });
    }
    return { types, unreadable };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
