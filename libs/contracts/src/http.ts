import { z } from 'zod';
import { MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH, jsonDepth } from './json-limits';
import { JobEventBodySchema } from './job-event';
import { isTerminalEvent } from './terminal-events';
import { JobSnapshotSchema, JobStatusSchema } from './job-snapshot';
import { BatchIdSchema, BatchSnapshotSchema, MAX_BATCH_JOBS } from './batch-snapshot';
import { JobTagSchema, JobTagsSchema, MAX_JOB_TAGS, batchJobTags } from './job-tags';

const JobTypeNameSchema = z.string().min(1).max(100);

/** A job's payload: any JSON, bounded in depth and size. */
const PayloadSchema = z
  .unknown()
  .refine((payload) => jsonDepth(payload, MAX_PAYLOAD_DEPTH + 1) <= MAX_PAYLOAD_DEPTH, {
    message: `must nest at most ${MAX_PAYLOAD_DEPTH} levels deep`,
    // Stop here: the size check serializes the payload, which a very deep one would overflow the stack for.
    abort: true,
  })
  .refine((payload) => payload === undefined || JSON.stringify(payload).length <= MAX_PAYLOAD_BYTES, {
    message: `must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON`,
  });

/** Overrides the job type's default number of attempts. */
const AttemptsSchema = z.number().int().min(1).max(25);

/** A `jobs:submit` service submits for this user, whose job it then is. */
const OnBehalfOwnerSchema = z.strictObject({
  sub: z.string().min(1).max(200),
  tenant: z.string().min(1).max(200).optional(),
});

export const SubmitJobRequestSchema = z.strictObject({
  type: JobTypeNameSchema,
  payload: PayloadSchema.optional(),
  /** Set once: a job's tags never change. Feeds and `GET /jobs?tag=` select jobs by them. */
  tags: JobTagsSchema.optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  attempts: AttemptsSchema.optional(),
  owner: OnBehalfOwnerSchema.optional(),
  /** A `jobs:publish` service runs the work itself and reports it with `POST /jobs/:id/events`: nothing is queued. */
  external: z.boolean().optional(),
  /** An external job fails with LEASE_EXPIRED when no append comes for this long. @default 60000 */
  leaseMs: z.number().int().min(1000).max(3_600_000).optional(),
});
export type SubmitJobRequest = z.infer<typeof SubmitJobRequestSchema>;

/** A token that reads and watches one job, and nothing else, until `expiresAt` (ms since epoch). */
export const WatchTokenSchema = z.object({ token: z.string(), expiresAt: z.number().int() });
export type WatchToken = z.infer<typeof WatchTokenSchema>;

export const SubmitJobResponseSchema = z.object({
  job: JobSnapshotSchema,
  /** For a service's submit: a watch token of the job, to hand to a browser. */
  watchToken: WatchTokenSchema.optional(),
});
export type SubmitJobResponse = z.infer<typeof SubmitJobResponseSchema>;

/**
 * `POST /batches`: 1 to MAX_BATCH_JOBS jobs, all checked before any is created. `tags` go on every job, with
 * each job's own (batchJobTags): at most MAX_JOB_TAGS in all per job.
 */
export const SubmitBatchRequestSchema = z
  .strictObject({
    jobs: z
      .array(
        z.strictObject({
          type: JobTypeNameSchema,
          payload: PayloadSchema.optional(),
          tags: JobTagsSchema.optional(),
          attempts: AttemptsSchema.optional(),
        }),
      )
      .min(1)
      .max(MAX_BATCH_JOBS),
    tags: JobTagsSchema.optional(),
    owner: OnBehalfOwnerSchema.optional(),
  })
  .superRefine((batch, context) => {
    for (const [index, job] of batch.jobs.entries()) {
      if (batchJobTags(batch.tags, job.tags).length <= MAX_JOB_TAGS) continue;
      context.addIssue({
        code: 'custom',
        path: ['jobs', index, 'tags'],
        message: `a job has at most ${MAX_JOB_TAGS} tags, the batch's included`,
      });
    }
  });
export type SubmitBatchRequest = z.infer<typeof SubmitBatchRequestSchema>;

/** `202`: the batch and its jobs, in the order given, each with `batchId`. */
export const SubmitBatchResponseSchema = z.object({
  batch: BatchSnapshotSchema,
  jobs: z.array(JobSnapshotSchema),
});
export type SubmitBatchResponse = z.infer<typeof SubmitBatchResponseSchema>;

/**
 * `GET /jobs`: filters combine (AND); newest first. A `jobs:read` service names what it lists: `owner` (a
 * user's `sub`, within the service's tenant), `tag` (its tenant's jobs with it) or `batch`.
 */
export const ListJobsQuerySchema = z.object({
  owner: z.string().min(1).max(200).optional(),
  status: JobStatusSchema.optional(),
  type: JobTypeNameSchema.optional(),
  tag: JobTagSchema.optional(),
  batch: BatchIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a nextCursor from a previous page')
    .optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;

export const ListJobsResponseSchema = z.object({
  jobs: z.array(JobSnapshotSchema),
  nextCursor: z.string().optional(),
});
export type ListJobsResponse = z.infer<typeof ListJobsResponseSchema>;

export const DevTokenRequestSchema = z.strictObject({
  sub: z.string().min(1).max(100),
  tenant: z.string().min(1).max(100).optional(),
  /** A service token's scopes, space-separated (`jobs:submit jobs:read jobs:publish`); absent: a user token. */
  scope: z.string().max(200).optional(),
});
export type DevTokenRequest = z.infer<typeof DevTokenRequestSchema>;

/** `POST /jobs/:id/events`: events of an external job, appended in order, all or none. */
export const AppendEventsRequestSchema = z.strictObject({
  events: z
    .array(JobEventBodySchema)
    .min(1)
    .max(100)
    .refine((events) => events.every((event) => event.type !== 'queued'), {
      message: '`queued` is logged when the job is created',
    })
    .refine((events) => events.slice(0, -1).every((event) => !isTerminalEvent(event)), {
      message: 'only the last event may end the job',
    }),
});
export type AppendEventsRequest = z.infer<typeof AppendEventsRequestSchema>;
export const AppendEventsResponseSchema = z.object({ lastSeq: z.number().int().positive() });
export type AppendEventsResponse = z.infer<typeof AppendEventsResponseSchema>;

export const EventStreamQuerySchema = z.object({
  afterSeq: z.coerce.number().int().nonnegative().optional(),
});

/** A job type some worker registered: `GET /job-types` lists them. */
export const JobTypeInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** JSON Schema (2020-12) that a submit's payload is checked against. */
  payloadSchema: z.record(z.string(), z.unknown()),
  /** Attempts when a submit does not say. */
  attempts: z.number().int().positive(),
  /** Live workers running this type; 0 means its jobs wait, queued, until one starts. */
  workers: z.number().int().nonnegative(),
});
export type JobTypeInfo = z.infer<typeof JobTypeInfoSchema>;

export const ListJobTypesResponseSchema = z.object({ jobTypes: z.array(JobTypeInfoSchema) });
export type ListJobTypesResponse = z.infer<typeof ListJobTypesResponseSchema>;
