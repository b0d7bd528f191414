import { z } from 'zod';
import { JobIdSchema } from './job-id';

export const JobStatusSchema = z.enum(['queued', 'active', 'retrying', 'completed', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export const JobSnapshotSchema = z.object({
  id: JobIdSchema,
  type: z.string(),
  status: JobStatusSchema,
  percent: z.number().min(0).max(100),
  stage: z.string().optional(),
  message: z.string().optional(),
  attempt: z.number().int().nonnegative(),
  lastSeq: z.number().int().nonnegative(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string().optional(), message: z.string() }).optional(),
});
export type JobSnapshot = z.infer<typeof JobSnapshotSchema>;
