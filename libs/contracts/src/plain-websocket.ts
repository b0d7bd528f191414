import { z } from 'zod';
import { JobIdSchema } from './job-id';
import { MAX_REQUEST_ID_LENGTH } from './plain-websocket-protocol';

const RequestIdSchema = z.string().max(MAX_REQUEST_ID_LENGTH);

/** What a client sends, one JSON object per text frame. */
export const PlainClientMessageSchema = z.discriminatedUnion('type', [
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
export type PlainClientMessage = z.infer<typeof PlainClientMessageSchema>;
