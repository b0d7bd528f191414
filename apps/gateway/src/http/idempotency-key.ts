import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from '@jobcast/contracts';
import { ApiException } from './api-exception';

/** Idempotency keys of appends and batches: what a client would put there (a UUID, a counter), bounded. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** An `Idempotency-Key` header, when there is one, is 1 to 200 visible ASCII characters. */
export function checkIdempotencyKey(idempotencyKey: string | undefined): void {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiException(
      ErrorCode.VALIDATION_FAILED,
      HttpStatus.BAD_REQUEST,
      'Idempotency-Key must be 1 to 200 visible ASCII characters',
    );
  }
}
