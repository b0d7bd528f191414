import { Injectable } from '@nestjs/common';
import type { JobEvent } from '@jobcast/contracts';
import { createMetricsRegistry, redisReconnectCounter } from '@jobcast/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The `transport` label of delivered events: Socket.IO, SSE, plain WebSocket. */
export type DeliveryTransport = 'socket' | 'sse' | 'websocket';

/** What the gateway measures: counters bumped on the delivery path, gauges read at scrape time. */
@Injectable()
export class GatewayMetrics {
  readonly registry: Registry = createMetricsRegistry('gateway');

  readonly socketsConnected = new Gauge({
    name: 'jobcast_sockets_connected',
    help: 'Connected Socket.IO clients',
    registers: [this.registry],
  });
  readonly plainSocketsConnected = new Gauge({
    name: 'jobcast_plain_websockets_connected',
    help: 'Connected plain WebSocket clients (GET /ws)',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'jobcast_subscriptions',
    help: 'Open job watches (Socket.IO, plain WebSocket and SSE)',
    registers: [this.registry],
  });
  readonly eventsDelivered = new Counter({
    name: 'jobcast_events_delivered_total',
    help: 'Job events handed to clients',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'jobcast_event_delivery_latency_seconds',
    help: "From the event's publish (its `at`) to the gateway handing it to its watchers, once per event",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly eventsConflated = new Counter({
    name: 'jobcast_events_conflated_total',
    help: 'Progress events replaced by a newer one while a slow socket could not take them',
    registers: [this.registry],
  });
  readonly slowConsumerDisconnects = new Counter({
    name: 'jobcast_slow_consumer_disconnects_total',
    help: 'Connections dropped because too many events waited for them',
    registers: [this.registry],
  });
  readonly redisReconnects = redisReconnectCounter(this.registry);
  readonly queueJobs = new Gauge({
    name: 'jobcast_queue_jobs',
    help: "Jobs in each job type's BullMQ queue, by state",
    labelNames: ['type', 'state'] as const,
    registers: [this.registry],
  });
  readonly jobTypeWorkers = new Gauge({
    name: 'jobcast_job_type_workers',
    help: 'Live workers of each registered job type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  /** Bound once: looking a label set up on every delivery costs more than the increment itself. */
  private readonly deliveredBy = {
    socket: this.eventsDelivered.labels('socket'),
    sse: this.eventsDelivered.labels('sse'),
    websocket: this.eventsDelivered.labels('websocket'),
  };

  /** Events handed to a client, live or with a subscribe answer or an SSE head. */
  recordDelivered(count: number, transport: DeliveryTransport): void {
    this.deliveredBy[transport].inc(count);
  }

  /**
   * Once per live event a gateway fans out, not once per watcher: every watcher gets it in the same
   * moment, and a histogram observation per delivery would cost more than the delivery's own frame write.
   */
  recordFanOut(events: readonly JobEvent[], now: number): void {
    for (const event of events) this.deliveryLatency.observe(Math.max(0, now - event.at) / 1000);
  }
}
