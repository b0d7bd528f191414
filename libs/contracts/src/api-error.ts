import { z } from 'zod';

export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** The body of every HTTP error answer. */
export const ApiErrorBodySchema = z.object({ error: ApiErrorSchema });
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;
