import { Counter, type Registry } from 'prom-client';

/** Counts reconnections of a process's Redis connections, by which connection it was. */
export function redisReconnectCounter(registry: Registry): Counter<'connection'> {
  return new Counter({
    name: 'jobcast_redis_reconnects_total',
    help: 'Reconnections of Redis connections',
    labelNames: ['connection'],
    registers: [registry],
  });
}
