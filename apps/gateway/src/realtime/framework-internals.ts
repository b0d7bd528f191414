import type { IncomingMessage } from 'node:http';
import type { Socket as TcpSocket } from 'node:net';
import type { Server, Socket } from 'socket.io';
import * as ws from 'ws';

/**
 * The gateway's reliance on what Socket.IO, Engine.IO and ws do but do not promise, each in one function
 * here, so that nothing else reaches into them and framework-internals.spec.ts can tell when a dependency
 * upgrade breaks one. Each exists to keep a connection cheap (the gateway holds tens of thousands of idle
 * ones) or to encode an event once for every connection that gets it.
 */

/** Engine.IO's connection under a Socket.IO socket. */
type EngineConnection = Socket['conn'];

/** A packet Engine.IO holds for a connection; `data` is the encoded Socket.IO packet when it is text. */
export interface EnginePacket {
  readonly data?: unknown;
}

/**
 * Packets Engine.IO holds for a connection that its transport has not taken yet: the connection's
 * `writeBuffer`, private in Engine.IO's types. Read from the engine rather than counted with listeners on
 * every connection: at tens of thousands of idle sockets, three listeners each are a noticeable share of a
 * socket's memory.
 */
export function transportBacklog(socket: Pick<Socket, 'conn'>): readonly EnginePacket[] {
  return (socket.conn as unknown as { writeBuffer: readonly EnginePacket[] }).writeBuffer;
}

/**
 * Calls `onDrain` once, when Engine.IO next hands the connection's `transportBacklog` to its transport (the
 * connection's 'drain' event).
 */
export function onceTransportDrained(socket: Pick<Socket, 'conn'>, onDrain: () => void): void {
  socket.conn.once('drain', onDrain);
}

/**
 * How many connections Engine.IO has open, and the HTTP request each began with: its table of open
 * connections (`clients`, protected in its types, so read by name; `server.clients` in its documentation)
 * and their `request`. Counted from the engine rather than with a 'close' listener on every connection,
 * which would cost every idle socket memory.
 */
export function openConnectionCount(server: Server): number {
  return server.engine.clientsCount;
}

export function openConnectionRequests(server: Server): IncomingMessage[] {
  return Object.values(server.engine['clients']).map((connection) => connection.request);
}

/** Calls `onOpen` with the HTTP request of each connection Engine.IO opens. */
export function onConnectionOpened(server: Server, onOpen: (request: IncomingMessage) => void): void {
  server.engine.on('connection', (connection: EngineConnection) => onOpen(connection.request));
}

/** Options for `socket.conn.send` that carry the packet already framed for the websocket transport. */
export interface PreEncodedSendOptions {
  compress: false;
  wsPreEncodedFrame: Buffer[];
}

interface FrameOptions {
  fin: boolean;
  mask: boolean;
  opcode: number;
  readOnly: boolean;
  rsv1: boolean;
}
/** ws's frame builder: exported at runtime (Socket.IO's adapter uses it the same way), not in @types/ws. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/**
 * A Socket.IO packet as a finished WebSocket frame, which Engine.IO's websocket transport writes as is
 * (`wsPreEncodedFrame`), as Socket.IO's broadcasts do: so a frame is encoded once for every socket that gets
 * it, rather than again per socket. Other transports send the packet itself.
 */
export function preEncodedSendOptions(packet: string): PreEncodedSendOptions {
  // "4": Engine.IO's message type, which the transport would otherwise prepend for every socket.
  const wsPreEncodedFrame = Sender.frame(Buffer.from(`4${packet}`), {
    fin: true,
    mask: false,
    opcode: 1,
    readOnly: false,
    rsv1: false,
  });
  return { compress: false, wsPreEncodedFrame };
}

/**
 * What a socket's handshake `auth` becomes once read, in place of the client's: the token is not kept, only
 * whether the client opted in to `job:events` batches, as one of two shared objects rather than a flag on
 * every socket. Socket.IO reads `auth` only to build the handshake, so after the middleware it is the
 * gateway's to replace.
 */
const READ_AUTH = { batching: Object.freeze({ batch: true }), plain: Object.freeze({}) };

export function forgetToken(socket: Pick<Socket, 'handshake'>, batch: boolean): void {
  socket.handshake.auth = batch ? READ_AUTH.batching : READ_AUTH.plain;
}

export function wantsBatches(socket: Pick<Socket, 'handshake'>): boolean {
  return socket.handshake.auth === READ_AUTH.batching;
}

/** ws's own TCP socket (`_socket`): only it says when what ws wrote has gone out. */
export function tcpSocketOf(socket: ws.WebSocket): TcpSocket {
  return (socket as unknown as { _socket: TcpSocket })._socket;
}

/** Bytes ws has written for a connection that its TCP socket has not sent yet (ws's `bufferedAmount`). */
export function unsentBytes(socket: ws.WebSocket): number {
  return socket.bufferedAmount;
}

/**
 * Calls `onDrain` once, when what ws wrote has gone out (the 'drain' of its TCP socket; ws has no event of
 * its own for it). Only after a write that left bytes unsent.
 */
export function onceUnsentDrained(socket: ws.WebSocket, onDrain: () => void): void {
  tcpSocketOf(socket).once('drain', onDrain);
}
