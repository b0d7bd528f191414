import type { ClientToServerEvents, ServerToClientEvents } from '@jobcast/contracts';
import type { Namespace, Socket } from 'socket.io';
import type { WatcherState } from '../job-subscriptions';

/** What the gateway keeps on each socket: the watcher state every transport keeps. */
export type JobsSocketData = WatcherState;

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
