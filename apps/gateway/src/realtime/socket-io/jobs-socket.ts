import type { ClientToServerEvents, ServerToClientEvents } from '@jobcast/contracts';
import type { Namespace, Socket } from 'socket.io';
import type { Watcher } from '../watcher';

/** What the gateway keeps on each socket: the delivery core's fields of a connection. */
export type JobsSocketData = Watcher;

export type JobsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, JobsSocketData>;
export type JobsNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  JobsSocketData
>;
