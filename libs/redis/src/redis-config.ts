import { z } from 'zod';

/** The env vars every process reads to reach Redis. */
export const RedisEnvSchema = z.object({
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. @default redis://127.0.0.1:6379 */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Comma-separated `host:port` seeds of a Redis Cluster; when set, REDIS_URL only supplies credentials and TLS. */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, 'must be host:port[,host:port...]')
    .optional(),
  /** Prefix of every key, so one Redis can host several deployments. @default jobcast */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/)
    .default('jobcast'),
});

export type RedisEnv = z.infer<typeof RedisEnvSchema>;

export interface RedisConfig {
  url: string;
  clusterNodes?: Array<{ host: string; port: number }>;
  keyPrefix: string;
}

export function toRedisConfig(env: RedisEnv): RedisConfig {
  return {
    url: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    clusterNodes: env.REDIS_CLUSTER_NODES?.split(',').map((node) => {
      const [host = '', port = ''] = node.split(':');
      return { host, port: Number(port) };
    }),
  };
}
