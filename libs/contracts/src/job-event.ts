import { z } from 'zod';
import { JobIdSchema } from './job-id';
import { OUTPUT_EVENT_MAX_CHARS, OUTPUT_KEY_PATTERN } from './output';

const Seq = z.number().int().positive();
const JobErrorSchema = z.object({ code: z.string().optional(), message: z.string() });
export type JobError = z.infer<typeof JobErrorSchema>;

export const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

export const ProgressDataSchema = z.object({
  percent: z.number().min(0).max(100),
  stage: z.string().max(200).optional(),
  message: z.string().max(2000).optional(),
  current: z.number().nonnegative().optional(),
  total: z.number().nonnegative().optional(),
});
export type ProgressData = z.infer<typeof ProgressDataSchema>;

/** A piece of an output stream: `text` sits at `offset` (UTF-16 code units) in the stream named `key`. */
export const OutputDataSchema = z.object({
  key: z.string().regex(OUTPUT_KEY_PATTERN, 'a key is 1 to 64 of A-Z a-z 0-9 _ . : -, starting with a letter or digit'),
  offset: z.number().int().nonnegative(),
  text: z.string().min(1).max(OUTPUT_EVENT_MAX_CHARS),
});
export type OutputData = z.infer<typeof OutputDataSchema>;

/** What a publisher appends: the event without the fields the log assigns (jobId, seq). */
export const JobEventBodySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('queued'), data: z.object({}) }),
  z.object({ type: z.literal('started'), data: z.object({ attempt: z.number().int().positive() }) }),
  z.object({ type: z.literal('progress'), data: ProgressDataSchema }),
  z.object({ type: z.literal('log'), data: z.object({ level: LogLevelSchema, message: z.string().max(4000) }) }),
  z.object({ type: z.literal('output'), data: OutputDataSchema }),
  z.object({
    type: z.literal('retrying'),
    data: z.object({
      attempt: z.number().int().positive(),
      error: z.object({ message: z.string() }),
      delayMs: z.number().int().nonnegative(),
    }),
  }),
  z.object({ type: z.literal('completed'), data: z.object({ result: z.unknown() }) }),
  z.object({
    type: z.literal('failed'),
    data: z.object({ error: JobErrorSchema, attempts: z.number().int().nonnegative() }),
  }),
  z.object({ type: z.literal('cancelled'), data: z.object({ reason: z.string().optional() }) }),
]);
export type JobEventBody = z.infer<typeof JobEventBodySchema>;
export type JobEventType = JobEventBody['type'];

const EventEnvelopeSchema = z.object({
  jobId: JobIdSchema,
  seq: Seq,
  at: z.number().int().nonnegative(),
  /** Only on a conflated progress event: it stands for the progress events fromSeq..seq. */
  fromSeq: Seq.optional(),
});

export const JobEventSchema = z.intersection(EventEnvelopeSchema, JobEventBodySchema);
export type JobEvent = z.infer<typeof EventEnvelopeSchema> & JobEventBody;
