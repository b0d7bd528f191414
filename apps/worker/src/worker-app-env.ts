import { SharedEnvSchema } from '@jobcast/config';
import { z } from 'zod';

/** What the worker app reads beyond the worker's own settings (those: workerOptionsFromEnv). */
export const WorkerAppEnvSchema = z.object({
  LOG_LEVEL: SharedEnvSchema.shape.LOG_LEVEL,
  /** Port of the worker's /healthz and /metrics; 0 turns them off. @default 9464 */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
});
