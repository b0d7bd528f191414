import { z } from 'zod';
import { PlainFeedClientMessageSchema } from './feed';
import { JobIdSchema } from './job-id';
import { MAX_REQUEST_ID_LENGTH } from './plain-websocket-protocol';

const RequestIdSchema = z.string().max(MAX_REQUEST_ID_LENGTH);

/** A client's messages about one job, and the others. */
const PlainJobClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(8192) }),
  z.strictObject({
    type: z.literal('subscribe'),
    id: RequestIdSchema.optional(),
    jobId: JobIdSchema,
    afterSeq: z.number().int().nonnegative().optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), id: RequestIdSchema.optional(), jobId: JobIdSchema }),
  z.strictObject({ type: z.literal('ping'), id: RequestIdSchema.optional() }),
]);

/**
 * What a client sends, one JSON object per text frame. A `subscribe` or `unsubscribe` names exactly one of
 * `jobId` or `feed`: both shapes are strict, so one naming both (or neither) matches neither.
 */
export const PlainClientMessageSchema = z.union([PlainJobClientMessageSchema, PlainFeedClientMessageSchema]);
export type PlainClientMessage = z.infer<typeof PlainClientMessageSchema>;
