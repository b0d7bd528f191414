import type { ClientToServerEvents, JobEvent, ServerToClientEvents, SubscribeAck } from '@jobcast/contracts';
import { io, type Socket } from 'socket.io-client';
import { Wakeup } from './wakeup';

export type RawSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A bare socket.io-client socket, as a user written from docs/protocol.md alone would open it. */
export function openSocket(
  baseUrl: string,
  token: unknown,
  options: { transports?: string[]; extraHeaders?: Record<string, string>; batch?: boolean } = {},
): RawSocket {
  return io(`${baseUrl}/jobs`, {
    auth: { token, ...(options.batch !== undefined && { batch: options.batch }) },
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: options.extraHeaders,
  });
}

export function connected(socket: RawSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/** Resolves with the connect_error message. */
export function connectError(socket: RawSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, but should have been refused')));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

/** A handshake refused before any namespace was reached: its HTTP status, and Engine.IO's message when visible. */
export interface HandshakeRefusal {
  status: number;
  /** The refusal's `message` (FORBIDDEN_ORIGIN …): long-polling reads the body; a refused upgrade hides it. */
  message?: string;
}

/**
 * How a handshake ended: connected, or refused before any namespace by the gateway (or the load balancer in
 * front of it). socket.io-client reports a refusal only as `websocket error` or `xhr poll error`, with what
 * the transport beneath it saw: the status, and over long-polling the body.
 */
export function handshakeOutcome(socket: RawSocket): Promise<'connected' | HandshakeRefusal> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => {
      const { description, context } = error as Error & {
        description?: unknown;
        context?: { responseText?: string };
      };
      if (error.message === 'xhr poll error' && typeof description === 'number') {
        const body = JSON.parse(context?.responseText ?? 'null') as { message?: string } | null;
        resolve({ status: description, message: body?.message });
        return;
      }
      const why = (description as { message?: string } | undefined)?.message ?? '';
      const status = /^Unexpected server response: (\d{3})$/.exec(why)?.[1];
      if (error.message === 'websocket error' && status) resolve({ status: Number(status) });
      else reject(new Error(`refused otherwise: ${error.message} (${why})`));
    });
  });
}

export function emitWithAck<T = SubscribeAck>(socket: RawSocket, event: string, ...args: unknown[]): Promise<T> {
  return (
    socket.timeout(10_000) as unknown as { emitWithAck(event: string, ...args: unknown[]): Promise<T> }
  ).emitWithAck(event, ...args);
}

/**
 * Subscribes and gathers the ack's backlog and every live event that follows (`job:event`, or each event
 * of a `job:events` burst), in arrival order, until the terminal event (or `until` says stop).
 */
export class EventCollector {
  readonly events: JobEvent[] = [];
  /** Every `job:events` packet, as it arrived. */
  readonly bursts: JobEvent[][] = [];
  /** Live packets of either kind. */
  packets = 0;
  ack: SubscribeAck | undefined;
  private readonly wakeup = new Wakeup();

  constructor(
    readonly socket: RawSocket,
    readonly jobId: string,
  ) {
    socket.on('job:event', (event) => {
      if (event.jobId !== jobId) return;
      this.packets += 1;
      this.events.push(event);
      this.wakeup.notify();
    });
    socket.on('job:events', (events) => {
      if (events[0]?.jobId !== jobId) return;
      this.packets += 1;
      this.bursts.push(events);
      this.events.push(...events);
      this.wakeup.notify();
    });
  }

  async subscribe(afterSeq?: number): Promise<SubscribeAck> {
    const ack = await emitWithAck(this.socket, 'subscribe', {
      jobId: this.jobId,
      ...(afterSeq !== undefined && { afterSeq }),
    });
    this.ack = ack;
    if (ack.ok) this.events.unshift(...ack.events);
    this.wakeup.notify();
    return ack;
  }

  /** Resolves once an event satisfies the predicate (default: a terminal one). */
  async waitFor(predicate: (event: JobEvent) => boolean = isTerminal, timeoutMs = 60_000): Promise<JobEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.events.some(predicate)) {
      if (Date.now() > deadline)
        throw new Error(`timed out; got ${JSON.stringify(this.events.map((e) => `${e.seq}:${e.type}`))}`);
      await this.wakeup.next(200);
    }
    return this.events;
  }
}

export function isTerminal(event: JobEvent): boolean {
  return event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled';
}

/** `seq:type` for each event: what assertions compare. */
export function outline(events: readonly JobEvent[]): string[] {
  return events.map((event) => `${event.seq}:${event.type}`);
}

export function seqs(events: readonly JobEvent[]): number[] {
  return events.map((event) => event.seq);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Opens a bare socket, subscribes to the job and collects what arrives; the caller disconnects `socket`. */
export async function subscribeRaw(
  baseUrl: string,
  token: string,
  jobId: string,
  options: Parameters<typeof openSocket>[2] = {},
): Promise<EventCollector> {
  const socket = openSocket(baseUrl, token, options);
  await connected(socket);
  const collector = new EventCollector(socket, jobId);
  await collector.subscribe();
  return collector;
}
