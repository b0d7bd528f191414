import { HttpStatus, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  isTerminalEvent,
  isTerminalStatus,
  type AppendEventsRequest,
  type JobSnapshot,
  type ListJobsQuery,
  type ListJobsResponse,
  type SubmitJobRequest,
  type WatchToken,
} from '@jobcast/contracts';
import { JobCancellation, JobEventLog, JobLogAppendError, type JobRecord } from '@jobcast/job-log';
import { JobTypeNameSchema } from '@jobcast/job-types';
import { Inject } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mayCancel, mayPublish, mayRead, readerKey } from '../auth/job-access';
import { ownerOf, Scope, type Principal } from '../auth/principal';
import { WatchTokens } from '../auth/watch-tokens';
import { ApiException } from '../http/api-exception';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { ActiveJobQuota } from './active-job-quota';
import { JobQueue } from './job-queue';
import { JobTypeCatalog, type CheckedSubmit } from './job-type-catalog';
import { LeaseReaper } from './lease-reaper';
import { OwnerJobIndex } from './owner-job-index';
import { RateLimits } from './rate-limits';

export interface SubmitOutcome {
  job: JobSnapshot;
  /** False when an idempotency key matched an existing job. */
  created: boolean;
  /** For a service: a watch token of the job, to hand to a browser. */
  watchToken?: WatchToken;
}

const IDEMPOTENCY_WAIT_MS = 2000;
/** An external job's lease when its submit does not say. */
const DEFAULT_LEASE_MS = 60_000;

/** Submitting, reading, listing, cancelling and reporting jobs, for whoever the token says may. */
@Injectable()
export class JobService {
  constructor(
    private readonly eventLog: JobEventLog,
    private readonly cancellation: JobCancellation,
    private readonly catalog: JobTypeCatalog,
    private readonly queue: JobQueue,
    private readonly index: OwnerJobIndex,
    private readonly rateLimits: RateLimits,
    private readonly leases: LeaseReaper,
    private readonly watchTokens: WatchTokens,
    private readonly activeJobs: ActiveJobQuota,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async submit(principal: Principal, request: SubmitJobRequest): Promise<SubmitOutcome> {
    const external = request.external === true;
    const owner = ownerOf(ownerFor(principal, request));
    if (request.leaseMs !== undefined && !external) {
      throw new ApiException(ErrorCode.VALIDATION_FAILED, HttpStatus.BAD_REQUEST, '`leaseMs` is for external jobs');
    }
    const check = external ? externalType(request) : await this.catalog.check(request.type, request.payload);
    if (request.attempts !== undefined && request.attempts > this.config.MAX_ATTEMPTS) {
      throw new ApiException(
        ErrorCode.VALIDATION_FAILED,
        HttpStatus.BAD_REQUEST,
        `attempts: at most ${this.config.MAX_ATTEMPTS} (MAX_ATTEMPTS)`,
      );
    }
    await this.rateLimits.consumeSubmit(owner);
    const publisher = principal.kind === 'service' ? ownerOf(principal) : '';
    const outcome = await this.createOrFind(request, owner, publisher, check);
    if (principal.kind !== 'service') return outcome;
    return { ...outcome, watchToken: await this.watchTokens.mint(outcome.job.id) };
  }

  /** The job's record, or JOB_NOT_FOUND when it does not exist or the principal may not read it. */
  async getReadable(principal: Principal, jobId: string): Promise<JobRecord> {
    const record = await this.eventLog.getRecord(jobId);
    if (!record || !mayRead(readerKey(principal), record)) throw ApiException.jobNotFound(jobId);
    return record;
  }

  async list(principal: Principal, query: ListJobsQuery): Promise<ListJobsResponse> {
    if (principal.kind !== 'user') throw forbidden('Only a user token lists its own jobs');
    const owner = ownerOf(principal);
    const offset = query.cursor ? Number(query.cursor) : 0;
    const ids = await this.index.page(owner, offset, query.limit);
    const records = await Promise.all(ids.map((id) => this.eventLog.getRecord(id)));
    await this.index.remove(
      owner,
      ids.filter((_, i) => records[i] === null),
    );
    const jobs = records.flatMap((record) => (record ? [record.snapshot] : []));
    return { jobs, ...(ids.length === query.limit && { nextCursor: String(offset + query.limit) }) };
  }

  /**
   * Cancels a queued or running job: its cancellation is requested (JobCancellation), then a job no worker
   * holds (queued, or external) is taken off the queue and logged `cancelled` here; a running one's worker
   * logs `cancelled` once its handler stops. Cancelling a cancelled job answers it as it is.
   */
  async cancel(principal: Principal, jobId: string): Promise<JobSnapshot> {
    const record = await this.getReadable(principal, jobId);
    if (!mayCancel(principal, record)) throw forbidden('This token may not cancel the job');
    const { snapshot } = record;
    if (snapshot.status === 'cancelled') return snapshot;
    if (isTerminalStatus(snapshot.status)) {
      throw new ApiException(ErrorCode.JOB_FINISHED, HttpStatus.CONFLICT, `Job ${jobId} already ${snapshot.status}`);
    }
    await this.cancellation.request(jobId);
    if (record.external || (await this.queue.removeUnstarted(jobId, snapshot.type))) {
      await this.eventLog
        .append(jobId, { type: 'cancelled', data: { reason: 'cancelled by its owner' } })
        .catch(() => undefined);
      if (record.external) await this.leases.forget(jobId);
    }
    return (await this.getReadable(principal, jobId)).snapshot;
  }

  /** A token that reads and watches this job only; for anyone who may read the job but a watch token. */
  async watchToken(principal: Principal, jobId: string): Promise<WatchToken> {
    if (principal.kind === 'watch') throw forbidden('A watch token cannot make other tokens');
    await this.getReadable(principal, jobId);
    return this.watchTokens.mint(jobId);
  }

  /**
   * Appends an external job's events in order, all or none, renewing its lease; a retry with the same
   * idempotency key appends nothing and answers the same `lastSeq`.
   */
  async appendEvents(
    principal: Principal,
    jobId: string,
    request: AppendEventsRequest,
    idempotencyKey: string | undefined,
  ): Promise<number> {
    if (principal.kind !== 'service' || !principal.scopes.has(Scope.PUBLISH)) {
      throw forbidden('Only a jobs:publish service reports events');
    }
    const record = await this.eventLog.getRecord(jobId);
    const publishes = record !== null && mayPublish(principal, record);
    if (!record || (!publishes && !mayRead(readerKey(principal), record))) throw ApiException.jobNotFound(jobId);
    if (!publishes) throw forbidden('Only the service that created an external job, or one of its tenant, reports it');
    await this.rateLimits.consumeAppend(jobId);
    const ends = isTerminalEvent(request.events.at(-1) ?? { type: 'log' });
    const now = Date.now();
    const leaseUntil = now + (record.external?.leaseMs ?? DEFAULT_LEASE_MS);
    try {
      const lastSeq = await this.eventLog.appendBatch(
        jobId,
        request.events,
        { ...(idempotencyKey !== undefined && { idempotencyKey }), ...(!ends && { leaseUntil }) },
        now,
      );
      await (ends ? this.leases.forget(jobId) : this.leases.track(jobId, leaseUntil));
      return lastSeq;
    } catch (error) {
      if (!(error instanceof JobLogAppendError)) throw error;
      if (error.reason === 'JOB_FINISHED') {
        throw new ApiException(ErrorCode.JOB_FINISHED, HttpStatus.CONFLICT, `Job ${jobId} has already ended`);
      }
      if (error.reason === 'OUTPUT_TOO_LARGE') {
        throw new ApiException(
          ErrorCode.OUTPUT_TOO_LARGE,
          HttpStatus.PAYLOAD_TOO_LARGE,
          `Job ${jobId}'s output would pass its bound`,
        );
      }
      if (error.reason === 'OUTPUT_OFFSET_MISMATCH') {
        throw new ApiException(
          ErrorCode.OUTPUT_OFFSET_MISMATCH,
          HttpStatus.CONFLICT,
          "An output event's offset is not where its stream ends",
          error.output,
        );
      }
      throw ApiException.jobNotFound(jobId);
    }
  }

  /** `check` is the queued job's type and payload; none for an external job, which `publisher` reports. */
  private async createOrFind(
    request: SubmitJobRequest,
    owner: string,
    publisher: string,
    check: CheckedSubmit | undefined,
  ): Promise<Omit<SubmitOutcome, 'watchToken'>> {
    const jobId = randomUUID();
    await this.activeJobs.reserve(owner, jobId);
    if (request.idempotencyKey) {
      const existingId = await this.index.claimIdempotencyKey(owner, request.idempotencyKey, jobId);
      if (existingId) {
        await this.activeJobs.release(owner, jobId);
        const job = await this.existingJob(owner, existingId);
        // A gateway that died between creating the job and queueing it left it queued but unknown to
        // BullMQ; the retried submit queues it (adding an existing BullMQ job id is a no-op).
        if (job.status === 'queued' && check) {
          await this.queue.enqueue({ jobId: job.id, ...check, attempts: request.attempts });
        }
        return { job, created: false };
      }
    }
    const leaseMs = request.leaseMs ?? DEFAULT_LEASE_MS;
    const job = await this.eventLog.create({
      id: jobId,
      type: request.type,
      owner,
      ...(!check && { external: { publisher, leaseMs } }),
    });
    await this.index.add(owner, jobId, job.createdAt);
    if (!check) {
      await this.leases.track(jobId, job.createdAt + leaseMs);
      return { job, created: true };
    }
    try {
      await this.queue.enqueue({ jobId, ...check, attempts: request.attempts });
    } catch (error) {
      await this.eventLog
        .append(jobId, {
          type: 'failed',
          data: { error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'could not queue the job' }, attempts: 0 },
        })
        .catch(() => undefined);
      throw error;
    }
    return { job, created: true };
  }

  /** The job an idempotency key points at; its creator may still be writing it, so wait briefly. */
  private async existingJob(owner: string, jobId: string): Promise<JobSnapshot> {
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const record = await this.eventLog.getRecord(jobId);
      if (record && record.owner === owner) return record.snapshot;
      if (Date.now() > deadline) {
        throw new ApiException(
          ErrorCode.SERVICE_UNAVAILABLE,
          HttpStatus.SERVICE_UNAVAILABLE,
          'Job is still being created; retry',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/**
 * Whose job a submit creates: a user's own; a `jobs:submit` service's `owner` (within its tenant), or its
 * own; a `jobs:publish` service's external job likewise. Anything else is 403 FORBIDDEN.
 */
function ownerFor(principal: Principal, request: SubmitJobRequest): { sub: string; tenant?: string } {
  if (principal.kind === 'watch') throw forbidden('A watch token only reads its job');
  if (principal.kind === 'user') {
    if (request.external) throw forbidden('Only a jobs:publish service creates external jobs');
    if (request.owner && ownerOf(request.owner) !== ownerOf(principal)) {
      throw forbidden('A user token submits for its own user only');
    }
    return principal;
  }
  const needed = request.external ? Scope.PUBLISH : Scope.SUBMIT;
  if (!principal.scopes.has(needed)) throw forbidden(`This token lacks the ${needed} scope`);
  if (!request.owner) return principal;
  const tenant = request.owner.tenant ?? principal.tenant;
  if (principal.tenant !== undefined && tenant !== principal.tenant) {
    throw forbidden(`This token acts within tenant ${principal.tenant} only`);
  }
  return { sub: request.owner.sub, ...(tenant !== undefined && { tenant }) };
}

/** An external job's type is not run by a worker, so it needs no registration, only a valid name. */
function externalType(request: SubmitJobRequest): undefined {
  if (!JobTypeNameSchema.safeParse(request.type).success) {
    throw new ApiException(
      ErrorCode.VALIDATION_FAILED,
      HttpStatus.BAD_REQUEST,
      'An external job type is lower-case words joined by ".", "_" or "-"',
    );
  }
  return undefined;
}

function forbidden(message: string): ApiException {
  return new ApiException(ErrorCode.FORBIDDEN, HttpStatus.FORBIDDEN, message);
}
