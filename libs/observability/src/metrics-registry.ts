import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A process's Prometheus registry: Node's default metrics (CPU, memory, GC, event-loop lag with its p99)
 * labelled with the service, plus whatever the app registers on it.
 */
export function createMetricsRegistry(service: 'gateway' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}
