import { z } from 'zod';
import { JobTypeNameSchema } from './job-type-name';

/**
 * What a worker stores in Redis for each job type it runs, and what gateways read back: enough to check a
 * submit's payload and queue it (attempts, backoff), and to describe the type in `GET /job-types`.
 */
export const JobTypeRegistrationSchema = z.object({
  name: JobTypeNameSchema,
  description: z.string().max(1000),
  /** JSON Schema (2020-12) of the payload, from the type's zod schema. */
  payloadSchema: z.record(z.string(), z.unknown()),
  /** Identifies this version of the schema. */
  schemaHash: z.string().regex(/^[0-9a-f]{16}$/),
  attempts: z.number().int().min(1).max(25),
  /** First retry delay; each later one doubles it. */
  backoffMs: z.number().int().min(0).max(86_400_000),
  /** A fixed attempt timeout; absent when the type computes it from the payload. */
  timeoutMs: z.number().int().positive().optional(),
  /** When the worker that wrote this registration started: of two conflicting registrations, the newest wins. */
  registeredAt: z.number().int().nonnegative(),
  /** The worker that wrote it, so a newer registration whose workers are all gone yields to a live one. */
  registeredBy: z.string().min(1).max(200),
});
export type JobTypeRegistration = z.infer<typeof JobTypeRegistrationSchema>;

/** Most job types one deployment registers; a worker that would register more fails to start. */
export const MAX_REGISTERED_JOB_TYPES = 200;
