import { Injectable } from '@nestjs/common';
import type { JobEvent } from '@jobcast/contracts';
import { ProcessMetrics } from '@jobcast/observability';

/** The `transport` label of delivered events: Socket.IO, SSE, plain WebSocket. */
export type DeliveryTransport = 'socket' | 'sse' | 'websocket';

/** What the gateway measures: counters bumped on the delivery path, gauges read at scrape time. */
@Injectable()
export class GatewayMetrics extends ProcessMetrics {
  readonly socketsConnected = this.gauge('jobcast_sockets_connected', 'Connected Socket.IO clients');
  readonly plainSocketsConnected = this.gauge(
    'jobcast_plain_websockets_connected',
    'Connected plain WebSocket clients (GET /ws)',
  );
  readonly subscriptions = this.gauge('jobcast_subscriptions', 'Open job watches (Socket.IO, plain WebSocket and SSE)');
  readonly eventsDelivered = this.counter('jobcast_events_delivered_total', 'Job events handed to clients', [
    'transport',
  ]);
  readonly deliveryLatency = this.histogram(
    'jobcast_event_delivery_latency_seconds',
    "From the event's publish (its `at`) to the gateway handing it to its watchers, once per event",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  readonly eventsConflated = this.counter(
    'jobcast_events_conflated_total',
    'Progress events replaced by a newer one while a slow socket could not take them',
  );
  readonly slowConsumerDisconnects = this.counter(
    'jobcast_slow_consumer_disconnects_total',
    'Connections dropped because too many events waited for them',
  );
  readonly queueJobs = this.gauge('jobcast_queue_jobs', "Jobs in each job type's BullMQ queue, by state", [
    'type',
    'state',
  ]);
  readonly jobTypeWorkers = this.gauge('jobcast_job_type_workers', 'Live workers of each registered job type', [
    'type',
  ]);

  constructor() {
    super('gateway');
  }

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
