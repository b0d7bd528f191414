import type { ClientToServerEvents, ServerToClientEvents } from '@jobcast/contracts';
import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principal';
import type { JobWatch } from './job-watch';
import type { TokenBucket } from './token-bucket';

/** What the gateway keeps on each socket. */
export interface JobsSocketData {
  principal: Principal;
  /** The socket's watches, by job id. */
  watches: Map<string, JobWatch>;
  subscribeRate: TokenBucket;
  /** The client opted in to `job:events` batches. */
  batch: boolean;
}

export type JobsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, JobsSocketData>;
export type JobsNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  JobsSocketData
>;
