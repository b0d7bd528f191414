import {
  type JobTypeDirectory,
  JobTypeNameSchema,
  JobTypeRegistrationSchema,
  payloadJsonSchema,
  schemaHash,
  type JobTypeRegistration,
} from '@jobcast/job-types';
import type { Logger } from 'pino';
import { JobTypeDefinitionError } from './job-type-definition-error';
import { DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS, type JobType } from './job-type';
import type { WorkerMetrics } from './worker-metrics';

/**
 * What this worker stores for a job type: its JSON Schema (from zod), attempts and backoff with their
 * defaults applied here, once, so gateways queue jobs with the same values the worker retries with.
 */
export function registrationFor(type: JobType, workerId: string, registeredAt: number): JobTypeRegistration {
  const name = JobTypeNameSchema.safeParse(type.name);
  if (!name.success) throw new JobTypeDefinitionError(type.name, name.error.issues[0]?.message ?? 'bad name');
  let payloadSchema: Record<string, unknown>;
  try {
    payloadSchema = payloadJsonSchema(type.payload);
  } catch (error) {
    throw new JobTypeDefinitionError(type.name, (error as Error).message);
  }
  const registration = JobTypeRegistrationSchema.safeParse({
    name: type.name,
    description: type.description,
    payloadSchema,
    schemaHash: schemaHash(payloadSchema),
    attempts: type.attempts ?? DEFAULT_ATTEMPTS,
    backoffMs: type.backoffMs ?? DEFAULT_BACKOFF_MS,
    ...(typeof type.timeoutMs === 'number' && { timeoutMs: type.timeoutMs }),
    registeredAt,
    registeredBy: workerId,
  });
  if (!registration.success) {
    const issue = registration.error.issues[0];
    throw new JobTypeDefinitionError(type.name, `${issue?.path.join('.')}: ${issue?.message}`);
  }
  return registration.data;
}

export interface RegistrarOptions {
  workerId: string;
  /** How often registrations are refreshed. */
  heartbeatMs: number;
  /** How long a type stays registered after the last refresh of any worker. */
  typeTtlMs: number;
}

/**
 * Keeps this worker's job types registered while it runs: once at start (so gateways accept them at once),
 * then every heartbeat. A worker counts as live for three heartbeats after its last refresh. Two workers
 * registering one name with different schemas is a deployment mistake: both log it loudly and count it, and
 * the newest registration is the one gateways check against.
 */
export class JobTypeRegistrar {
  private timer: NodeJS.Timeout | undefined;
  /** The other schema version last reported per type, so a conflict is logged once, not every heartbeat. */
  private readonly reportedConflicts = new Map<string, string>();

  constructor(
    private readonly directory: JobTypeDirectory,
    private readonly registrations: readonly JobTypeRegistration[],
    private readonly options: RegistrarOptions,
    private readonly logger: Logger,
    private readonly metrics: WorkerMetrics,
  ) {}

  /** Registers every type; throws (TooManyJobTypesError, or Redis's error) when one cannot be. */
  async start(): Promise<void> {
    await this.registerAll();
    this.timer = setInterval(() => {
      this.registerAll().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not refresh job type registrations; retrying'),
      );
    }, this.options.heartbeatMs);
  }

  /** Stops refreshing and withdraws this worker, so gateways count it out at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const names = this.registrations.map((registration) => registration.name);
    await this.directory.unregisterWorker(names, this.options.workerId).catch(() => undefined);
  }

  private async registerAll(): Promise<void> {
    const now = Date.now();
    for (const registration of this.registrations) {
      const { outcome, theirSchemaHash } = await this.directory.register({
        registration,
        now,
        workerExpiresAt: now + 3 * this.options.heartbeatMs,
        typeExpiresAt: now + this.options.typeTtlMs,
      });
      if (theirSchemaHash && outcome !== 'refreshed') this.reportConflict(registration, outcome, theirSchemaHash);
    }
  }

  private reportConflict(registration: JobTypeRegistration, outcome: string, theirSchemaHash: string): void {
    if (this.reportedConflicts.get(registration.name) === theirSchemaHash) return;
    this.reportedConflicts.set(registration.name, theirSchemaHash);
    this.metrics.jobTypeConflicts.inc({ type: registration.name });
    this.logger.error(
      {
        jobType: registration.name,
        ourSchemaHash: registration.schemaHash,
        theirSchemaHash,
        winner: outcome === 'superseded' ? theirSchemaHash : registration.schemaHash,
      },
      `JOB TYPE CONFLICT: another worker registers ${registration.name} with a different payload schema; ` +
        'the newest registration wins, so gateways may accept payloads one of the workers rejects',
    );
  }
}
