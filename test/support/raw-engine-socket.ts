/**
 * A Socket.IO client written by hand over a plain WebSocket (Engine.IO v4, Socket.IO v5), so a test can send
 * any frame at all, well-formed or not, and read every frame that comes back.
 */
import WebSocket from 'ws';
import { Wakeup } from './wakeup';

/** How long the gateway has to open the connection or answer a namespace connect. */
const OPEN_TIMEOUT_MS = 5_000;

/** A client that speaks Engine.IO v4 / Socket.IO v5 by hand over a WebSocket, so it can say anything. */
export class RawEngineSocket {
  readonly frames: string[] = [];
  closeCode: number | undefined;
  private readonly ws: WebSocket;
  private readonly wakeup = new Wakeup();

  private constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    this.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const text = isBinary
        ? '<binary>'
        : (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
      if (text === '2') this.send('3');
      else this.frames.push(text);
      this.wakeup.notify();
    });
    this.ws.on('close', (code: number) => {
      this.closeCode = code;
      this.wakeup.notify();
    });
    this.ws.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawEngineSocket> {
    const socket = new RawEngineSocket(port);
    if (!(await socket.waitFor(() => socket.frames.some((frame) => frame.startsWith('0{')), OPEN_TIMEOUT_MS))) {
      socket.close();
      throw new Error('no Engine.IO open packet');
    }
    return socket;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string | Buffer): void {
    if (this.isOpen) this.ws.send(frame, { binary: Buffer.isBuffer(frame) });
  }

  /** Resolves true once the predicate holds, false on timeout or when the connection is gone. */
  async waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.closeCode !== undefined || Date.now() > deadline) return predicate();
      await this.wakeup.next(50);
    }
    return true;
  }

  async connectNamespace(auth: unknown): Promise<string | undefined> {
    this.send(`40/jobs,${JSON.stringify(auth)}`);
    await this.waitFor(() => this.frames.some((frame) => /^4[04]\/jobs,/.test(frame)), OPEN_TIMEOUT_MS);
    return this.frames.find((frame) => /^4[04]\/jobs,/.test(frame));
  }

  close(): void {
    this.ws.terminate();
  }
}
