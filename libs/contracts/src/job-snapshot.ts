import { z } from 'zod';
import { JobIdSchema } from './job-id';
import { BatchIdSchema } from './batch-snapshot';
import { JOB_STATUSES } from './job-status';
import { JobTagsSchema } from './job-tags';

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
  /** Set when the job was created, never changed; absent when it has none. */
  tags: JobTagsSchema.optional(),
  /** The batch the job was submitted in, if any. */
  batchId: BatchIdSchema.optional(),
});
export type JobSnapshot = z.infer<typeof JobSnapshotSchema>;
