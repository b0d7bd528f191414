import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What every Jobcast process measures, on a registry of its own: Node's default metrics (CPU, memory, GC,
 * event-loop lag with its p99) labelled with the service, and reconnections of its Redis connections. A
 * process's metrics class adds its own with `counter`, `gauge` and `histogram`, which register them here.
 */
export abstract class ProcessMetrics {
  readonly registry = new Registry();
  /** Reconnections of the process's Redis connections, by which connection it was. */
  readonly redisReconnects = this.counter('jobcast_redis_reconnects_total', 'Reconnections of Redis connections', [
    'connection',
  ]);

  protected constructor(service: 'gateway' | 'worker') {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  protected counter<Label extends string = string>(
    name: string,
    help: string,
    labelNames: readonly Label[] = [],
  ): Counter<Label> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  protected gauge<Label extends string = string>(
    name: string,
    help: string,
    labelNames: readonly Label[] = [],
  ): Gauge<Label> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  protected histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }
}
