import { booleanFlag, originList } from '@jobcast/config';
import { resolve } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from './app-processes';
import { DEFAULT_LB_STREAMS_PER_ADDRESS } from './nginx-load-balancer';

/**
 * What `npm start` reads, beyond what it passes on to the gateways and workers (every other variable of
 * the README's configuration table). Read with loadConfig, as the apps read theirs.
 */
export const LauncherEnvSchema = z.object({
  /** The first gateway's port; the others follow it. @default 3000 */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** How many gateways. @default 2 */
  GATEWAYS: z.coerce.number().int().min(1).max(32).default(2),
  /** How many workers. @default 2 */
  WORKERS: z.coerce.number().int().min(1).max(64).default(2),
  /** On by default here, unlike in a gateway: the local stack is for trying Jobcast out. @default 1 */
  DEV_TOKENS: booleanFlag.default(true),
  /** Put nginx in front of the gateways on LB_PORT, as docker compose does. @default 0 */
  LB: booleanFlag.default(false),
  /** The load balancer's port. @default 8080 */
  LB_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /** Open sockets and SSE streams per client address through the load balancer. @default 200 */
  LB_STREAMS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_LB_STREAMS_PER_ADDRESS),
  /** Use this Redis instead of starting a redis-server. */
  REDIS_URL: z.string().optional(),
  /** Start a local 3-master Redis Cluster instead of one redis-server. @default 0 */
  REDIS_CLUSTER: booleanFlag.default(false),
  /** Redis data, process logs and the launcher's lock; a relative path is from the repository. @default .jobcast */
  JOBCAST_STATE_DIR: z
    .string()
    .default('.jobcast')
    .transform((dir) => resolve(REPO_ROOT, dir)),
  /** The origins the gateways allow cross-site. @default the local gateways' own origins */
  CORS_ORIGINS: originList.optional(),
});

export type LauncherEnv = z.infer<typeof LauncherEnvSchema>;
