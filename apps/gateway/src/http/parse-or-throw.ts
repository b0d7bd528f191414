import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from '@jobcast/contracts';
import type { z } from 'zod';
import { ApiException } from './api-exception';

/** Validates input against a contract schema, or answers 400 VALIDATION_FAILED with zod's issues. */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, input: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ApiException(
    ErrorCode.VALIDATION_FAILED,
    HttpStatus.BAD_REQUEST,
    'Request is not valid',
    parsed.error.issues,
  );
}
