import { ErrorCode, type SubmitJobRequest } from '@jobcast/contracts';
import { JobTypeNameSchema } from '@jobcast/job-types';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { SubmitGrant } from '../auth/access-policy';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { ApiException } from '../http/api-exception';
import { JobTypeCatalog } from './job-type-catalog';
import { DEFAULT_LEASE_MS, type NewJob } from './new-job';

/**
 * Turns a permitted submit into the job it creates, or answers 400: `leaseMs` only for an external job,
 * whose type needs only a valid name (no worker runs it); a queued job's type registered and its payload
 * valid against the type's schema; `attempts` at most MAX_ATTEMPTS.
 */
@Injectable()
export class NewJobChecks {
  constructor(
    private readonly catalog: JobTypeCatalog,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async check(grant: SubmitGrant, request: SubmitJobRequest): Promise<NewJob> {
    if (request.leaseMs !== undefined && !grant.external) {
      throw new ApiException(ErrorCode.VALIDATION_FAILED, HttpStatus.BAD_REQUEST, '`leaseMs` is for external jobs');
    }
    if (grant.external) checkExternalTypeName(request.type);
    const job: NewJob = grant.external
      ? { kind: 'external', publisher: grant.publisher, leaseMs: request.leaseMs ?? DEFAULT_LEASE_MS }
      : {
          kind: 'queued',
          ...(await this.catalog.check(request.type, request.payload)),
          ...(request.attempts !== undefined && { attempts: request.attempts }),
        };
    if (request.attempts !== undefined && request.attempts > this.config.MAX_ATTEMPTS) {
      throw new ApiException(
        ErrorCode.VALIDATION_FAILED,
        HttpStatus.BAD_REQUEST,
        `attempts: at most ${this.config.MAX_ATTEMPTS} (MAX_ATTEMPTS)`,
      );
    }
    return job;
  }
}

/** An external job's type is run by no worker, so it needs no registration, only a valid name. */
function checkExternalTypeName(type: string): void {
  if (!JobTypeNameSchema.safeParse(type).success) {
    throw new ApiException(
      ErrorCode.VALIDATION_FAILED,
      HttpStatus.BAD_REQUEST,
      'An external job type is lower-case words joined by ".", "_" or "-"',
    );
  }
}
