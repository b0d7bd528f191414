import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { redactUrl } from './redact-url';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * One JSON line per HTTP request, with a request id (the caller's `X-Request-Id` when it is sane, else a
 * new one, echoed back) and the job id when the route names one.
 */
export function requestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      response.setHeader('x-request-id', id);
      return id;
    },
    customProps: (request) => {
      const jobId = /^\/jobs\/([^/?]+)/.exec(request.url ?? '')?.[1];
      return jobId ? { jobId } : {};
    },
    customLogLevel: (_request, response, error) =>
      error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    // Health probes every few seconds would drown everything else.
    autoLogging: { ignore: (request) => request.url === '/healthz' || request.url === '/readyz' },
    serializers: {
      req: (request: { id: unknown; method: unknown; url: unknown }) => ({
        id: request.id,
        method: request.method,
        // EventSource clients pass their token in the query string; it must not reach the logs.
        url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
      }),
    },
  });
}
