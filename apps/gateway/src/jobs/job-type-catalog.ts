import { ErrorCode, type JobTypeInfo } from '@jobcast/contracts';
import {
  checkPayloadSchema,
  compilePayloadValidator,
  JobTypeDirectory,
  JobTypeNameSchema,
  type JobTypeRegistration,
  type PayloadValidator,
} from '@jobcast/job-types';
import { LOGGER } from '@jobcast/observability';
import {
  HttpStatus,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiException } from '../http/api-exception';

/** How often a gateway re-reads the registered job types (and their live workers) from Redis. */
export const CATALOG_REFRESH_MS = 2000;
/** A submit naming a type this gateway does not know yet re-reads the registry at most this often. */
const MISS_REFRESH_MS = 250;

interface CatalogEntry {
  registration: JobTypeRegistration;
  workers: number;
  validator: PayloadValidator;
}

/** A submit's job type and its checked payload, ready to queue. */
export interface CheckedSubmit {
  type: JobTypeRegistration;
  payload: unknown;
}

/**
 * The job types registered by workers, as this gateway knows them: read from Redis every few seconds, each
 * payload schema version compiled once (ajv) and kept, so checking a submit is a map lookup and a compiled
 * validator, with no Redis round trip. A name it does not know yet (a worker that just started) makes it
 * re-read the registry once before answering UNKNOWN_JOB_TYPE.
 */
@Injectable()
export class JobTypeCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private entries = new Map<string, CatalogEntry>();
  /** By schema hash: a validator is compiled once per schema version, whichever type names it. */
  private readonly validators = new Map<string, PayloadValidator>();
  /** Schema versions that did not pass the bounds, so each is logged once, not every refresh. */
  private readonly refused = new Set<string>();
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly directory: JobTypeDirectory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'could not read job types'));
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'could not read job types'));
    }, CATALOG_REFRESH_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Every registered type, by name, as `GET /job-types` shows it. */
  list(): JobTypeInfo[] {
    return [...this.entries.values()]
      .map(({ registration, workers }) => ({
        name: registration.name,
        description: registration.description,
        payloadSchema: registration.payloadSchema,
        attempts: registration.attempts,
        workers,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The type and the payload, checked against the type's registered schema (defaults applied); 400
   * UNKNOWN_JOB_TYPE for a type no worker registered, 400 VALIDATION_FAILED for a payload it refuses.
   */
  async check(name: string, payload: unknown): Promise<CheckedSubmit> {
    const entry = this.entries.get(name) ?? (await this.afterMiss(name));
    if (!entry) {
      throw new ApiException(ErrorCode.UNKNOWN_JOB_TYPE, HttpStatus.BAD_REQUEST, `Unknown job type "${name}"`, {
        known: [...this.entries.keys()].sort(),
      });
    }
    const checked = payload ?? {};
    const result = entry.validator.validate(checked);
    if (!result.ok) {
      throw new ApiException(
        ErrorCode.VALIDATION_FAILED,
        HttpStatus.BAD_REQUEST,
        `Invalid payload for ${name}`,
        result.errors?.map(({ instancePath, message, params }) => ({ path: instancePath, message, params })),
      );
    }
    return { type: entry.registration, payload: checked };
  }

  /** Re-reads the registry for a name not known yet; at most every MISS_REFRESH_MS, however many ask. */
  private async afterMiss(name: string): Promise<CatalogEntry | undefined> {
    if (!JobTypeNameSchema.safeParse(name).success) return undefined;
    if (!this.refreshing && Date.now() - this.lastRefreshAt >= MISS_REFRESH_MS) {
      await this.refresh().catch(() => undefined);
    } else {
      await this.refreshing;
    }
    return this.entries.get(name);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.readDirectory().finally(() => {
      this.refreshing = undefined;
      this.lastRefreshAt = Date.now();
    });
    return this.refreshing;
  }

  private async readDirectory(): Promise<void> {
    const { types, unreadable } = await this.directory.list();
    for (const { name, problem } of unreadable) this.refuseOnce(`${name}:${problem}`, name, problem);
    const entries = new Map<string, CatalogEntry>();
    for (const { registration, workers } of types) {
      const validator = this.validatorFor(registration);
      if (validator) entries.set(registration.name, { registration, workers, validator });
    }
    const inUse = new Set([...entries.values()].map((entry) => entry.registration.schemaHash));
    for (const [hash, validator] of this.validators) {
      if (inUse.has(hash)) continue;
      validator.release();
      this.validators.delete(hash);
    }
    this.entries = entries;
  }

  private validatorFor(registration: JobTypeRegistration): PayloadValidator | undefined {
    const known = this.validators.get(registration.schemaHash);
    if (known) return known;
    if (this.refused.has(registration.schemaHash)) return undefined;
    try {
      const validator = compilePayloadValidator(checkPayloadSchema(registration.payloadSchema));
      this.validators.set(registration.schemaHash, validator);
      return validator;
    } catch (error) {
      this.refuseOnce(registration.schemaHash, registration.name, (error as Error).message);
      return undefined;
    }
  }

  private refuseOnce(key: string, name: string, problem: string): void {
    if (this.refused.has(key)) return;
    this.refused.add(key);
    this.logger.error({ jobType: name, problem }, 'job type registration refused; its submits answer UNKNOWN_JOB_TYPE');
  }
}
