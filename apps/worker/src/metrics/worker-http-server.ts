import { LOGGER } from '@jobcast/observability';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type RedisClient, REDIS } from '@jobcast/redis';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from './worker-metrics';

/** A worker has no API; this tiny server only answers `/healthz` and `/metrics` for probes and Prometheus. */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | undefined;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly metrics: WorkerMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.WORKER_METRICS_PORT === 0) return;
    this.server = createServer((request, response) => {
      if (request.url === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          () => response.writeHead(500).end(),
        );
      } else if (request.url === '/healthz') {
        const ready = this.redis.status === 'ready';
        response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: ready ? 'ok' : 'unavailable' }));
      } else {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Only /healthz and /metrics here' } }));
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(this.config.WORKER_METRICS_PORT, resolve));
    this.logger.info({ port: this.config.WORKER_METRICS_PORT }, 'metrics listening');
  }

  onApplicationShutdown(): void {
    this.server?.close();
  }
}
