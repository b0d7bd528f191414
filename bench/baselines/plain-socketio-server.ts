/**
 * Baselines B and C: the Socket.IO server a team would write instead of Jobcast. It speaks the same
 * namespace, `/jobs`: `subscribe {jobId}` joins the job's room and acks `{ok: true}`. Events reach rooms
 * from the publisher through `@socket.io/redis-adapter` (B, `BASELINE_ADAPTER=redis`) or not at all (C,
 * `memory`: the in-memory adapter, for connection capacity). No auth, no log, no seq, no resume, and
 * Socket.IO's defaults otherwise.
 */
import { JOBS_NAMESPACE } from '@jobcast/contracts';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { jobRoom } from './job-rooms';

type Ack = (answer: { ok: true }) => void;

const port = Number(process.env.PORT);
const adapter = process.env.BASELINE_ADAPTER;
// Any request that is not for Socket.IO is the readiness check.
const http = createServer((_request, response) => response.end('ok'));
const io = new Server(http, { serveClient: false });
if (adapter === 'redis') {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  io.adapter(createAdapter(new Redis(redisUrl), new Redis(redisUrl)));
} else if (adapter !== 'memory') {
  throw new Error(`BASELINE_ADAPTER must be redis or memory, not ${adapter}`);
}
io.of(JOBS_NAMESPACE).on('connection', (socket) => {
  socket.on('subscribe', ({ jobId }: { jobId: string }, ack: Ack) => {
    void socket.join(jobRoom(jobId));
    ack({ ok: true });
  });
  socket.on('unsubscribe', ({ jobId }: { jobId: string }, ack: Ack) => {
    void socket.leave(jobRoom(jobId));
    ack({ ok: true });
  });
});
http.listen(port, '127.0.0.1');
