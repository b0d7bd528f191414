import { ErrorCode } from '@jobcast/contracts';
import type { JobcastWorker } from '@jobcast/worker';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';

/**
 * A worker has no API; this tiny server answers probes and Prometheus: `/healthz` (the process is alive),
 * `/readyz` (200 once the worker is registered and taking jobs, 503 while it starts, has lost Redis or
 * closes) and `/metrics`. It starts before the worker, so that a probe can tell starting from dead; `worker`
 * is set once createWorker has resolved. Port 0 turns it off.
 */
export class WorkerHttpServer {
  worker: JobcastWorker | undefined;
  private server: Server | undefined;

  async listen(port: number, logger: Logger): Promise<void> {
    if (port === 0) return;
    const server = createServer((request, response) => {
      const answer = (status: number, body: object): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (request.url === '/healthz') {
        answer(200, { status: 'ok' });
      } else if (request.url === '/readyz') {
        const status = this.worker === undefined ? 'starting' : this.worker.isReady() ? 'ready' : 'unavailable';
        answer(status === 'ready' ? 200 : 503, { status });
      } else if (request.url === '/metrics' && this.worker) {
        const { metrics } = this.worker;
        metrics.metrics().then(
          (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
          () => response.writeHead(500).end(),
        );
      } else if (request.url === '/metrics') {
        answer(503, { status: 'starting' });
      } else {
        answer(404, { error: { code: ErrorCode.NOT_FOUND, message: 'Only /healthz, /readyz and /metrics here' } });
      }
    });
    await new Promise<void>((resolve) => server.listen(port, resolve));
    this.server = server;
    logger.info({ port }, 'metrics listening');
  }

  close(): void {
    this.server?.close();
  }
}
