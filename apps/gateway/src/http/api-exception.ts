import { HttpException, HttpStatus } from '@nestjs/common';
import { ErrorCode, type ApiErrorBody } from '@jobcast/contracts';
import type { Forbidden, Refusal } from '../auth/access-policy';

/** An error a client caused or may act on: it carries its HTTP status and the code from the contract. */
export class ApiException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    status: HttpStatus,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, status);
  }

  toBody(): ApiErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details !== undefined && { details: this.details }) },
    };
  }

  static jobNotFound(jobId: string): ApiException {
    return new ApiException(ErrorCode.JOB_NOT_FOUND, HttpStatus.NOT_FOUND, `Job ${jobId} not found`);
  }

  /** The answer to an access refusal (auth/access-policy) about the job. */
  static refused(refusal: Refusal, jobId: string): ApiException {
    return refusal.answer === 'not-found' ? ApiException.jobNotFound(jobId) : ApiException.forbidden(refusal);
  }

  static forbidden(refusal: Forbidden): ApiException {
    return new ApiException(ErrorCode.FORBIDDEN, HttpStatus.FORBIDDEN, refusal.reason);
  }

  static unauthorized(message = 'Missing or invalid bearer token'): ApiException {
    return new ApiException(ErrorCode.UNAUTHORIZED, HttpStatus.UNAUTHORIZED, message);
  }
}
