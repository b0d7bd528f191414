import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './redis-config';

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, so an operator can tell Jobcast's connections apart. */
  name: string;
  /** BullMQ requires null: its blocking commands must wait, not fail, while Redis is away. */
  maxRetriesPerRequest?: number | null;
}

function optionsFromUrl(config: RedisConfig, options: RedisConnectionOptions): RedisOptions {
  const url = new URL(config.url);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    connectionName: options.name,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 20 : options.maxRetriesPerRequest,
    // Reconnect for ever with a capped backoff: Redis restarts are an expected event, not a fatal one.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
}

/** One connection to Redis, single node or Cluster, as the config says. */
export function createRedisConnection(config: RedisConfig, options: RedisConnectionOptions): RedisClient {
  const nodeOptions = optionsFromUrl(config, options);
  if (!config.clusterNodes) return new Redis(nodeOptions);
  const { host: _host, port: _port, db: _db, ...shared } = nodeOptions;
  const clusterOptions: ClusterOptions = {
    redisOptions: shared,
    clusterRetryStrategy: nodeOptions.retryStrategy,
    shardedSubscribers: true,
  };
  return new Cluster(config.clusterNodes, clusterOptions);
}

/** Connection settings in the shape BullMQ takes, so it opens its own connections the same way. */
export function bullmqConnection(config: RedisConfig, name: string): RedisClient {
  return createRedisConnection(config, { name, maxRetriesPerRequest: null });
}

/**
 * Calls `listener` each time a subscriber connection's subscriptions are in effect again after they may have
 * lapsed, so whoever relies on its messages can re-read what it missed meanwhile.
 *
 * A single node drops as a whole: 'close', then ioredis re-sends every (S)SUBSCRIBE and reports 'ready'.
 * A Cluster with sharded subscribers is different: it keeps one subscriber connection per master outside
 * its own status, so one of them can drop and come back while the Cluster stays 'ready' and emits neither
 * 'close' nor 'ready'; and after a reconnect of the whole Cluster its 'ready' comes before the sharded
 * subscriptions are back. What does follow both is 'subscribersReady': ioredis emits it once it has replaced
 * the subscribers that dropped and re-sent SSUBSCRIBE for their channels.
 */
export function onSubscriptionsRestored(client: RedisClient, listener: () => void): void {
  if (client instanceof Cluster) {
    client.on('subscribersReady', listener);
    return;
  }
  let interrupted = false;
  client.on('close', () => {
    interrupted = true;
  });
  client.on('ready', () => {
    if (!interrupted) return;
    interrupted = false;
    listener();
  });
}

/** Nest injection token of a process's command connection. */
export const REDIS = Symbol('REDIS');
