import { ErrorCode } from '@jobcast/contracts';
import type { JobType } from './job-type';
import { demoStepsJob } from './types/demo-steps.job';
import { hashSha256Job } from './types/hash-sha256.job';
import { textWordCountJob } from './types/text-wordcount.job';

/** Every shipped job type. Adding one is a file under types/ and a line here. */
export const JOB_TYPES: readonly JobType[] = [demoStepsJob, hashSha256Job, textWordCountJob];

export type PayloadCheck =
  | { ok: true; type: JobType; payload: unknown }
  | {
      ok: false;
      code: typeof ErrorCode.UNKNOWN_JOB_TYPE | typeof ErrorCode.VALIDATION_FAILED;
      message: string;
      details?: unknown;
    };

/** Looks job types up by name; the gateway and the worker both check payloads here, so they always agree. */
export class JobTypeRegistry {
  private readonly byName: ReadonlyMap<string, JobType>;

  constructor(types: readonly JobType[] = JOB_TYPES) {
    this.byName = new Map(types.map((type) => [type.name, type]));
  }

  get(name: string): JobType | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Validates a payload against its type's schema, applying the schema's defaults. */
  check(name: string, payload: unknown): PayloadCheck {
    const type = this.byName.get(name);
    if (!type) {
      return {
        ok: false,
        code: ErrorCode.UNKNOWN_JOB_TYPE,
        message: `Unknown job type "${name}"`,
        details: { known: this.names() },
      };
    }
    const parsed = type.payload.safeParse(payload ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        code: ErrorCode.VALIDATION_FAILED,
        message: `Invalid payload for ${name}`,
        details: parsed.error.issues,
      };
    }
    return { ok: true, type, payload: parsed.data };
  }
}
