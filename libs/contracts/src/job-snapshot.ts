import { z } from 'zod';
import { JobIdSchema } from './job-id';
import { JOB_STATUSES } from './job-status';

export const JobStatusSchema = z.enum(JOB_STATUSES);

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
