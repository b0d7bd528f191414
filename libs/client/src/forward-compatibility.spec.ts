import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect, type JobcastClient } from '@jobcast/client';

/**
 * Today's client against a newer gateway: one that sends an event type, a message type and fields this
 * client has never heard of. Real servers on real sockets, sending crafted frames: the client must skip what
 * it does not know and go on delivering what it does.
 */

const JOB = 'job-1';
const at = 1_700_000_000_000;
const snapshot = {
  id: JOB,
  type: 'demo.text',
  status: 'active',
  percent: 0,
  attempt: 1,
  lastSeq: 2,
  createdAt: at,
  updatedAt: at,
  // A field a newer gateway adds to the snapshot.
  costCents: 3,
};
const event = (seq: number, type: string, data: Record<string, unknown>) => ({
  jobId: JOB,
  seq,
  at: at + seq,
  type,
  data,
});
const backlog = [event(1, 'queued', {}), event(2, 'started', { attempt: 1 })];
const live = [
  // An event type this client does not know, then known ones carrying fields it does not know.
  event(3, 'thought', { text: 'hmm' }),
  { ...event(4, 'output', { key: 'answer', offset: 0, text: 'Hello, ', lang: 'en' }), traceId: 't-1' },
  event(5, 'output', { key: 'answer', offset: 7, text: '世界 🚀' }),
  { ...event(6, 'completed', { result: 'ok' }), region: 'eu' },
];

let httpServer: HttpServer | undefined;
let client: JobcastClient | undefined;

afterEach(async () => {
  client?.close();
  const server = httpServer;
  httpServer = undefined;
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function listen(server: HttpServer): Promise<string> {
  httpServer = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function expectDelivered(jobcast: JobcastClient): Promise<void> {
  client = jobcast;
  const watch = jobcast.watch(JOB);
  const seen: string[] = [];
  watch.onEvent((delivered) => seen.push(`${delivered.seq} ${delivered.type}`));
  await expect(watch.done).resolves.toMatchObject({ seq: 6, type: 'completed' });
  expect(seen).toEqual(['1 queued', '2 started', '4 output', '5 output', '6 completed']);
  expect(watch.output('answer').text).toBe('Hello, 世界 🚀');
  expect(watch.snapshot).toMatchObject({ status: 'completed', lastSeq: 6 });
}

describe('the typed client and a newer gateway', () => {
  it('over the plain WebSocket, skips an unknown message, event type and fields and keeps delivering', async () => {
    const server = createServer();
    const sockets = new WebSocketServer({ server, path: '/ws' });
    sockets.on('connection', (socket: WebSocket) => {
      const send = (message: unknown) => socket.send(JSON.stringify(message));
      socket.on('message', (raw) => {
        const message = JSON.parse((raw as Buffer).toString()) as { type: string; id?: string };
        if (message.type === 'auth') {
          send({ type: 'welcome', gateway: 'g1', heartbeatMs: 25_000, region: 'eu' });
          // A message type this client does not know, before and after the answer it waits for.
          send({ type: 'hint', text: 'a newer message' });
        }
        if (message.type === 'subscribe') {
          send({ type: 'subscribed', id: message.id, jobId: JOB, snapshot, events: backlog, quota: 10 });
          send({ type: 'jobs', feed: { owner: 'me' }, jobs: [], cursor: 'c1' });
          send({ type: 'events', jobId: JOB, events: live, batchId: 'b1' });
        }
      });
    });
    const url = await listen(server);
    await expectDelivered(connect({ urls: [url], token: 't', transport: 'websocket' }));
    sockets.close();
  });

  it('over Socket.IO, skips an unknown message, event type and fields and keeps delivering', async () => {
    const server = createServer();
    const io = new SocketIoServer(server);
    io.of('/jobs').on('connection', (socket) => {
      socket.on('subscribe', (_request: unknown, ack: (answer: unknown) => void) => {
        ack({ ok: true, snapshot, events: backlog, quota: 10 });
        socket.emit('feed:jobs', { feed: { owner: 'me' }, jobs: [], cursor: 'c1' });
        socket.emit('job:hint', { text: 'a newer message' });
        socket.emit('job:event', live[0]);
        socket.emit('job:events', live.slice(1));
      });
    });
    const url = await listen(server);
    await expectDelivered(connect({ urls: [url], token: 't', transport: 'socket.io', transports: ['websocket'] }));
    await io.close();
  });
});
