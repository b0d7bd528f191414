import { createServer, IncomingMessage, type Server as HttpServer } from 'node:http';
import {
  createServer as createTcpServer,
  connect as connectTcp,
  Socket as TcpSocket,
  type AddressInfo,
} from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  forgetToken,
  onceTransportDrained,
  onceUnsentDrained,
  onConnectionOpened,
  openConnectionCount,
  openConnectionRequests,
  preEncodedSendOptions,
  tcpSocketOf,
  transportBacklog,
  unsentBytes,
  wantsBatches,
} from './framework-internals';

/** What each spec opened, closed after it in reverse order. */
const openedHere: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const close of openedHere.splice(0).reverse()) await close();
});

function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

async function listening<T extends HttpServer | ReturnType<typeof createTcpServer>>(server: T): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A Socket.IO server on an ephemeral port. */
async function startIo(): Promise<{ io: Server; port: number }> {
  const http = await listening(createServer());
  const io = new Server(http);
  openedHere.push(() => io.close());
  return { io, port: portOf(http) };
}

/** A client of the `/jobs` namespace, and its socket on the server once it has connected. */
async function connectIo(
  io: Server,
  port: number,
  options: Parameters<typeof connectClient>[1] = {},
): Promise<{ client: ClientSocket; socket: Socket }> {
  const connected = new Promise<Socket>((resolve) => io.of('/jobs').once('connection', resolve));
  const client = connectClient(`http://127.0.0.1:${port}/jobs`, {
    forceNew: true,
    reconnection: false,
    ...options,
  });
  openedHere.push(() => {
    client.disconnect();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return { client, socket: await connected };
}

/** Everything a client receives, as [event, ...args]. */
function received(client: ClientSocket): unknown[][] {
  const events: unknown[][] = [];
  client.onAny((...args: unknown[]) => events.push(args));
  return events;
}

/**
 * A TCP relay in front of a server whose server-to-client direction can stop: the client goes on sending
 * but reads nothing, as a client that stops reading does.
 */
async function startRelay(targetPort: number): Promise<{ port: number; stopReading(): void; readAgain(): void }> {
  const fromServer = new Set<TcpSocket>();
  const relayed = new Set<TcpSocket>();
  let reading = true;
  const relay = await listening(
    createTcpServer((toClient) => {
      const toServer = connectTcp(targetPort, '127.0.0.1');
      fromServer.add(toServer);
      relayed.add(toClient).add(toServer);
      toClient.pipe(toServer);
      toServer.on('data', (chunk) => toClient.write(chunk));
      toServer.on('end', () => toClient.end());
      toServer.on('close', () => fromServer.delete(toServer));
      toClient.on('error', () => toServer.destroy());
      toServer.on('error', () => toClient.destroy());
      if (!reading) toServer.pause();
    }),
  );
  openedHere.push(() => {
    for (const socket of relayed) socket.destroy();
    relay.close();
  });
  return {
    port: portOf(relay),
    stopReading() {
      reading = false;
      for (const socket of fromServer) socket.pause();
    },
    readAgain() {
      reading = true;
      for (const socket of fromServer) socket.resume();
    },
  };
}

describe('what the gateway relies on in Socket.IO, Engine.IO and ws', () => {
  it("Engine.IO holds what a connection's transport has not taken in writeBuffer, and says 'drain' when it hands it over", async () => {
    const { io, port } = await startIo();
    const relay = await startRelay(port);
    // On the polling transport, Engine.IO hands packets over only to a client's waiting poll.
    const { client, socket } = await connectIo(io, relay.port, { transports: ['polling'] });
    const arrived = received(client);
    relay.stopReading();
    socket.emit('tick', 0);
    // The poll waiting now takes that packet; its answer never reaches the client, which so polls no more.
    await vi.waitFor(() => expect(transportBacklog(socket)).toHaveLength(0));

    for (const n of [1, 2, 3]) socket.emit('tick', n);
    expect(transportBacklog(socket).map((packet) => packet.data)).toEqual([
      '2/jobs,["tick",1]',
      '2/jobs,["tick",2]',
      '2/jobs,["tick",3]',
    ]);
    let drained = false;
    onceTransportDrained(socket, () => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    expect(transportBacklog(socket)).toHaveLength(3);

    relay.readAgain();
    await vi.waitFor(() => expect(drained).toBe(true));
    expect(transportBacklog(socket)).toHaveLength(0);
    await vi.waitFor(() => expect(arrived).toEqual([0, 1, 2, 3].map((n) => ['tick', n])));
  });

  it("Engine.IO's table of open connections counts and lists each with the request it began with", async () => {
    const { io, port } = await startIo();
    const openedWith: IncomingMessage[] = [];
    onConnectionOpened(io, (request) => openedWith.push(request));
    expect(openConnectionCount(io)).toBe(0);

    const { client } = await connectIo(io, port, {
      transports: ['websocket'],
      extraHeaders: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(openConnectionCount(io)).toBe(1);
    const [request] = openConnectionRequests(io);
    expect(request).toBeInstanceOf(IncomingMessage);
    expect(openedWith).toEqual([request]);
    expect(request?.headers['x-forwarded-for']).toBe('203.0.113.7');
    expect(request?.socket.remoteAddress).toMatch(/127\.0\.0\.1$/);

    client.disconnect();
    await vi.waitFor(() => expect(openConnectionCount(io)).toBe(0));
    expect(openConnectionRequests(io)).toEqual([]);
  });

  it("a frame built with ws's Sender.frame and sent as wsPreEncodedFrame reaches the client as socket.emit's packet, as is", async () => {
    const { io, port } = await startIo();
    const { client, socket } = await connectIo(io, port, { transports: ['websocket'] });
    const arrived = received(client);
    const event = { jobId: 'j1', seq: 3, data: { percent: 50, note: 'é ✓' } };
    const packet = `2/jobs,["job:event",${JSON.stringify(event)}]`;

    socket.emit('job:event', event);
    socket.conn.send(packet, preEncodedSendOptions(packet));
    // The transport writes the frame it is given, not the packet beside it.
    socket.conn.send('2/jobs,["not-the-frame"]', preEncodedSendOptions('2/jobs,["the-frame"]'));
    // Over 64 KiB: a frame that carries its length in 64 bits.
    const long = { text: 'x'.repeat(70_000) };
    const longPacket = `2/jobs,["long",${JSON.stringify(long)}]`;
    socket.conn.send(longPacket, preEncodedSendOptions(longPacket));

    await vi.waitFor(() => expect(arrived).toHaveLength(4));
    expect(arrived).toEqual([['job:event', event], ['job:event', event], ['the-frame'], ['long', long]]);
  });

  it('replacing handshake.auth in the middleware keeps the connection working, and later reads see the replacement', async () => {
    const { io, port } = await startIo();
    const jobs = io.of('/jobs');
    jobs.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown; batch?: unknown };
      if (auth.token !== 'valid') return next(new Error('UNAUTHORIZED'));
      forgetToken(socket, auth.batch === true);
      next();
    });
    jobs.on('connection', (socket) => {
      socket.on('whoami', (ack: (answer: unknown) => void) =>
        ack({ auth: socket.handshake.auth, batches: wantsBatches(socket) }),
      );
    });

    const batching = await connectIo(io, port, { auth: { token: 'valid', batch: true } });
    const plain = await connectIo(io, port, { auth: { token: 'valid' } });
    for (const { socket } of [batching, plain]) expect(socket.handshake.auth).not.toHaveProperty('token');
    expect(await batching.client.emitWithAck('whoami')).toEqual({ auth: { batch: true }, batches: true });
    expect(await plain.client.emitWithAck('whoami')).toEqual({ auth: {}, batches: false });
  });

  it("ws's _socket is its net.Socket, whose 'drain' says when what ws wrote has gone out; bufferedAmount counts what has not", async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    openedHere.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise((resolve) => wss.once('listening', resolve));
    const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`);
    openedHere.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const socket = await accepted;
    let receivedBytes = 0;
    client.on('message', (data: Buffer) => (receivedBytes += data.length));

    expect(tcpSocketOf(socket)).toBeInstanceOf(TcpSocket);
    expect(unsentBytes(socket)).toBe(0);
    client.pause();
    // More than the kernel's buffers take, by a few MiB: the rest waits in the TCP socket.
    const message = Buffer.alloc(1 << 20, 'x');
    let sentBytes = 0;
    let frames = 0;
    const send = (): void => {
      socket.send(message, { binary: false, compress: false });
      sentBytes += message.length;
      frames += 1;
    };
    while (unsentBytes(socket) === 0 && frames < 64) send();
    for (let more = 0; more < 4; more += 1) send();
    const unsent = unsentBytes(socket);
    expect(unsent).toBeGreaterThan(0);
    // At most every frame written, each with its 10-byte header.
    expect(unsent).toBeLessThanOrEqual(sentBytes + 10 * frames);
    let drained = false;
    onceUnsentDrained(socket, () => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    expect(unsentBytes(socket)).toBeGreaterThan(0);

    client.resume();
    await vi.waitFor(() => expect(drained).toBe(true));
    expect(unsentBytes(socket)).toBe(0);
    await vi.waitFor(() => expect(receivedBytes).toBe(sentBytes));
  });
});
