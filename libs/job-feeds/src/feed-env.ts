import { z } from 'zod';

/** The feed settings that gateways and workers must agree on. */
export const FeedEnvSchema = z.object({
  /** A feed keeps its this many most recently changed jobs; a cursor from before them resets. @default 1000 */
  FEED_MAX_JOBS: z.coerce.number().int().min(10).max(100_000).default(1000),
  /** A job's progress touches its feeds at most this often a second (status changes at once). @default 4 */
  FEED_MAX_HZ: z.coerce.number().min(0.1).max(100).default(4),
  /** `GET /jobs?tag=` lists back this many of an owner's or a tenant's jobs with the tag. @default 10000 */
  TAG_INDEX_MAX_JOBS: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
});
export type FeedEnv = z.infer<typeof FeedEnvSchema>;
