import type { JobEvent } from '@jobcast/contracts';
import WebSocket from 'ws';
import { Wakeup } from './wakeup';

/** A server message of the plain WebSocket protocol, as a client written from docs/protocol.md reads it. */
export type PlainMessage = { type: string } & Record<string, unknown>;

export interface PlainSocketOptions {
  /** Sent as `Authorization: Bearer`, for clients that can set headers. */
  headerToken?: string;
  protocols?: string[];
  headers?: Record<string, string>;
}

/**
 * A bare `ws` client of `GET /ws` (no Jobcast code): it records every message and the close code, and
 * gathers the events of `subscribed` answers and `events` messages per job.
 */
export class PlainClient {
  readonly socket: WebSocket;
  readonly messages: PlainMessage[] = [];
  readonly opened: Promise<void>;
  /** Resolves with the close code once the socket has closed. */
  readonly closed: Promise<number>;
  private readonly wakeup = new Wakeup();

  constructor(baseUrl: string, options: PlainSocketOptions = {}) {
    const headers = { ...options.headers };
    if (options.headerToken) headers.authorization = `Bearer ${options.headerToken}`;
    this.socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, options.protocols ?? ['jobcast.v1'], {
      headers,
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => reject(new RefusedHandshake(response.statusCode ?? 0, body)));
      });
      this.socket.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve(code)));
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse((data as Buffer).toString()) as PlainMessage);
      this.wakeup.notify();
    });
    this.socket.on('close', () => this.wakeup.notify());
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first message (from `from` on) that matches. */
  async next(predicate: (message: PlainMessage) => boolean, timeoutMs = 30_000, from = 0): Promise<PlainMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(this.messages).slice(0, 2000)}`);
      await this.wakeup.next(200);
    }
  }

  /** The answer to the request with this `id`. */
  answer(id: string, timeoutMs?: number): Promise<PlainMessage> {
    return this.next((message) => message.id === id, timeoutMs);
  }

  /** Authenticates with the first message and resolves with `welcome`. */
  async auth(token: string): Promise<PlainMessage> {
    await this.opened;
    const from = this.messages.length;
    this.send({ type: 'auth', token });
    return this.next((message) => message.type === 'welcome' || message.type === 'error', 30_000, from);
  }

  /** Every event of the job received so far: `subscribed` backlogs and `events` messages, in arrival order. */
  events(jobId: string): JobEvent[] {
    return this.messages.flatMap((message) =>
      (message.type === 'subscribed' || message.type === 'events') && message.jobId === jobId
        ? (message.events as JobEvent[])
        : [],
    );
  }

  /** Resolves with the job's events once one matches (default: a terminal one). */
  async eventsUntil(
    jobId: string,
    predicate: (event: JobEvent) => boolean = (event) => ['completed', 'failed', 'cancelled'].includes(event.type),
    timeoutMs = 60_000,
  ): Promise<JobEvent[]> {
    await this.next(() => this.events(jobId).some(predicate), timeoutMs);
    return this.events(jobId);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** An upgrade the gateway answered with HTTP instead. */
export class RefusedHandshake extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`refused with ${status}: ${body}`);
  }
}

/** The refusal's status and JSON body, or a failure when the socket opened. */
export async function refusal(client: PlainClient): Promise<{ status: number; body: unknown }> {
  try {
    await client.opened;
  } catch (error) {
    if (error instanceof RefusedHandshake) return { status: error.status, body: JSON.parse(error.body) as unknown };
    throw error;
  }
  client.close();
  throw new Error('the handshake succeeded, but should have been refused');
}

/** Opens a socket authenticated by its first message. */
export async function openPlain(
  baseUrl: string,
  token: string,
  options: PlainSocketOptions = {},
): Promise<PlainClient> {
  const client = new PlainClient(baseUrl, options);
  const welcome = await client.auth(token);
  if (welcome.type !== 'welcome') throw new Error(`auth answered ${JSON.stringify(welcome)}`);
  return client;
}
