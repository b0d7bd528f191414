import { ErrorCode, type ErrorAck } from '@jobcast/contracts';
import type { z } from 'zod';

export function errorAck(code: ErrorCode, message: string, details?: unknown): ErrorAck {
  return { ok: false, error: { code, message, ...(details !== undefined && { details }) } };
}

/** A request that failed its schema, answered with a few of the issues: all of them could be a large answer. */
export function validationError(error: z.ZodError): ErrorAck {
  return errorAck(ErrorCode.VALIDATION_FAILED, 'Malformed request', error.issues.slice(0, 10));
}
