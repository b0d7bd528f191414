import type { JobEvent } from '@jobcast/contracts';
import { WatcherBase, type JobWatcher, type SubscribeAnswer } from './job-watcher';
import { connected, emitWithAck, openSocket, type RawSocket } from './raw-socket';
import { stopReading } from './stalled-reader';

/** A watcher over a bare socket.io-client socket on the `/jobs` namespace (websocket transport). */
export class SocketIoWatcher extends WatcherBase implements JobWatcher {
  readonly transport = 'socket.io';
  private notice: string | undefined;
  private closing = false;
  /** Live events that arrived before the subscribe's ack was handled: they follow its events. */
  private early: JobEvent[] | undefined;

  private constructor(readonly socket: RawSocket) {
    super();
    const live = (events: JobEvent[]) => {
      if (this.early) this.early.push(...events);
      else this.receive(events);
    };
    socket.on('job:event', (event) => live([event]));
    socket.on('job:events', (events) => live(events));
    socket.on('gateway:disconnect', (notice) => (this.notice = notice.reason));
    socket.on('disconnect', () => this.end({ reason: this.notice, byClient: this.closing }));
  }

  static async open(baseUrl: string, token: string): Promise<SocketIoWatcher> {
    const socket = openSocket(baseUrl, token);
    try {
      await connected(socket);
    } catch (error) {
      socket.disconnect();
      throw error;
    }
    return new SocketIoWatcher(socket);
  }

  async subscribe(jobId: string, afterSeq = 0): Promise<SubscribeAnswer> {
    this.jobId = jobId;
    this.early = [];
    try {
      const ack = await emitWithAck(this.socket, 'subscribe', { jobId, afterSeq });
      if (!ack.ok) return { ok: false, code: ack.error.code };
      if (ack.reset) this.resets.push(ack.snapshot);
      this.receive(ack.events);
      return { ok: true, snapshot: ack.snapshot };
    } finally {
      const early = this.early;
      this.early = undefined;
      this.receive(early);
    }
  }

  stopReading(): () => void {
    return stopReading(this.socket);
  }

  close(): void {
    this.closing = true;
    this.socket.disconnect();
  }
}
