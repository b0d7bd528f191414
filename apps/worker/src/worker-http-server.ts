import { ErrorCode } from '@jobcast/contracts';
import type { JobcastWorker } from '@jobcast/worker';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';

/**
 * A worker has no API; this tiny server only answers `/healthz` and `/metrics` for probes and Prometheus.
 * Port 0 turns it off.
 */
export async function startWorkerHttpServer(
  worker: JobcastWorker,
  port: number,
  logger: Logger,
): Promise<Server | undefined> {
  if (port === 0) return undefined;
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      worker.metrics.metrics().then(
        (text) => response.writeHead(200, { 'content-type': worker.metrics.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (request.url === '/healthz') {
      const ready = worker.isReady();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: ready ? 'ok' : 'unavailable' }));
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: ErrorCode.NOT_FOUND, message: 'Only /healthz and /metrics here' } }),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  logger.info({ port }, 'metrics listening');
  return server;
}
