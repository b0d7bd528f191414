import type { ClientToServerEvents, ServerToClientEvents } from '@jobcast/contracts';
import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principal';
import type { JobWatch } from './job-watch';
import type { SocketOutbox } from './socket-outbox';
import type { TokenBucket } from './token-bucket';

/** What the gateway keeps on each socket. */
export interface JobsSocketData {
  principal: Principal;
  /** The socket's watches, by job id. */
  watches: Map<string, JobWatch>;
  outbox: SocketOutbox;
  subscribeRate: TokenBucket;
}

export type JobsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, JobsSocketData>;
export type JobsNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  JobsSocketData
>;
