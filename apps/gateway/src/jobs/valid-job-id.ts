import { JobIdSchema } from '@jobcast/contracts';
import { ApiException } from '../http/api-exception';

/** A job id from a URL, for every route that takes one; a malformed id cannot name anyone's job, so it answers as a missing one. */
export function validJobId(id: string): string {
  if (!JobIdSchema.safeParse(id).success) throw ApiException.jobNotFound(id.slice(0, 64));
  return id;
}
