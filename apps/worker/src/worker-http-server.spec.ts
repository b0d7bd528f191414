import type { JobcastWorker } from '@jobcast/worker';
import { createServer } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerHttpServer } from './worker-http-server';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the worker app’s HTTP server', () => {
  const server = new WorkerHttpServer();
  afterEach(() => server.close());

  it('is alive from the start, and ready only while the worker takes jobs', async () => {
    const port = await freePort();
    await server.listen(port, pino({ level: 'silent' }));
    const get = async (path: string): Promise<[number, unknown]> => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return [response.status, await response.json()];
    };
    expect(await get('/healthz')).toEqual([200, { status: 'ok' }]);
    expect(await get('/readyz')).toEqual([503, { status: 'starting' }]);

    let takingJobs = true;
    const worker: JobcastWorker = {
      id: 'w',
      metrics: new Registry(),
      isReady: () => takingJobs,
      close: () => Promise.resolve(),
    };
    server.worker = worker;
    expect(await get('/readyz')).toEqual([200, { status: 'ready' }]);
    // Closing, or cut off from Redis.
    takingJobs = false;
    expect(await get('/readyz')).toEqual([503, { status: 'unavailable' }]);
    expect(await get('/healthz')).toEqual([200, { status: 'ok' }]);
  });
});
