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
