import { z } from 'zod';

/** At most this many tags on a job; a job's tags are set when it is created and never change. */
export const MAX_JOB_TAGS = 10;

/** A tag: a letter or digit, then up to 63 of `A-Z a-z 0-9 _ . : -`, so it is safe in a Redis key and a URL. */
export const JobTagSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be a letter or digit, then up to 63 of A-Z a-z 0-9 _ . : -');

/** A job's tags: distinct (a repeated tag is refused, not merged, so the job carries exactly what was sent). */
export const JobTagsSchema = z
  .array(JobTagSchema)
  .max(MAX_JOB_TAGS)
  .refine((tags) => new Set(tags).size === tags.length, { message: 'must not repeat a tag' });

/** A batch job's tags: the batch's, then the job's own not among them (each job may have MAX_JOB_TAGS in all). */
export function batchJobTags(batchTags: readonly string[] = [], jobTags: readonly string[] = []): string[] {
  return [...new Set([...batchTags, ...jobTags])];
}
