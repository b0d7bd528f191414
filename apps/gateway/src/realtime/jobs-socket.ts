import type { ClientToServerEvents, ServerToClientEvents } from '@jobcast/contracts';
import type { Namespace, Socket } from 'socket.io';
import type { SocketWatches } from './socket-watches';

/**
 * What the gateway keeps on each socket: four fields, which V8 stores in the object itself, and numbers
 * that stay small integers, which it stores unboxed. At tens of thousands of idle sockets every further
 * object per socket shows.
 */
export interface JobsSocketData {
  /** Which jobs the socket may watch: its token's `readerKey` (auth/job-access). */
  owner: string;
  /** The token's `exp`, in whole seconds since epoch. */
  expiresAtS: number;
  watches: SocketWatches;
  /** The subscribe rate limit's state (`SubscribeRate`). */
  subscribeAt: number;
}

export type JobsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, JobsSocketData>;
export type JobsNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  JobsSocketData
>;

/**
 * What a socket's handshake `auth` becomes once read: the token is not kept, only whether the client opted
 * in to `job:events` batches, as one of two shared objects.
 */
const READ_AUTH = { batching: Object.freeze({ batch: true }), plain: Object.freeze({}) };

export function forgetToken(socket: JobsSocket, batch: boolean): void {
  socket.handshake.auth = batch ? READ_AUTH.batching : READ_AUTH.plain;
}

export function wantsBatches(socket: JobsSocket): boolean {
  return socket.handshake.auth === READ_AUTH.batching;
}
