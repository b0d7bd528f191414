import { z } from 'zod';

/**
 * A job type's name: lower-case words joined by `.`, `_` or `-` (`video.transcode`, `report-build`). The
 * name becomes part of Redis keys and of its BullMQ queue's key prefix, so nothing else is allowed in it.
 */
export const JOB_TYPE_NAME_PATTERN = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;
export const MAX_JOB_TYPE_NAME_LENGTH = 64;

export const JobTypeNameSchema = z
  .string()
  .max(MAX_JOB_TYPE_NAME_LENGTH)
  .regex(JOB_TYPE_NAME_PATTERN, 'must be lower-case words joined by ".", "_" or "-"');
