import type { JobEvent } from '@jobcast/contracts';
import WebSocket from 'ws';

type Answer = { type: 'subscribed'; events: JobEvent[] } | { type: 'error'; error: { code: string } };

/** What a plain WebSocket watcher reports to its load process. */
export interface PlainWatcherHandlers {
  events(events: readonly JobEvent[]): void;
  /** The gateway's `disconnect` notice, or the close code of a close without one. */
  closed(reason: string): void;
}

/**
 * One bench watcher over Jobcast's plain WebSocket (`/ws`, jobcast.v1), as a `ws` client written from the
 * protocol would: the token in the handshake's Authorization header, `subscribe` answered by `id`.
 */
export class PlainWatcher {
  private readonly pending = new Map<string, (answer: Answer) => void>();
  private lastId = 0;
  private notice: string | undefined;

  private constructor(private readonly socket: WebSocket) {}

  static open(
    url: string,
    token: string | undefined,
    localAddress: string | undefined,
    handlers: PlainWatcherHandlers,
    timeoutMs: number,
  ): Promise<PlainWatcher> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, 'jobcast.v1', {
      ...(token !== undefined && { headers: { authorization: `Bearer ${token}` } }),
      ...(localAddress !== undefined && { localAddress }),
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    const watcher = new PlainWatcher(socket);
    return new Promise((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse((data as Buffer).toString()) as Record<string, unknown>;
        if (message.type === 'welcome') resolve(watcher);
        else if (message.type === 'events') handlers.events(message.events as JobEvent[]);
        else if (message.type === 'disconnect') watcher.notice = `notice ${String(message.reason)}`;
        else if (typeof message.id === 'string') watcher.settle(message.id, message as unknown as Answer);
      });
      socket.once('error', reject);
      socket.once('close', (code) => {
        reject(new Error(`closed ${code} before welcome`));
        handlers.closed(watcher.notice ?? `close ${code}`);
      });
    });
  }

  /** Subscribes; `accept` gets the backlog as soon as the answer is read, before any live event after it. */
  subscribe(jobId: string, timeoutMs: number, accept: (backlog: readonly JobEvent[]) => void): Promise<void> {
    const id = String((this.lastId += 1));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('no answer in time'));
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        if (answer.type !== 'subscribed') return reject(new Error(answer.error.code));
        accept(answer.events);
        resolve();
      });
      this.socket.send(JSON.stringify({ type: 'subscribe', id, jobId }));
    });
  }

  close(): void {
    this.socket.terminate();
  }

  private settle(id: string, answer: Answer): void {
    const settle = this.pending.get(id);
    this.pending.delete(id);
    settle?.(answer);
  }
}
