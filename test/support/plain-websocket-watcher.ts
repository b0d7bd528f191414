import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { WatcherBase, type JobWatcher, type SubscribeAnswer } from './job-watcher';
import { openPlain, type PlainClient, type PlainMessage } from './plain-websocket';

interface TcpSocket {
  pause(): void;
  resume(): void;
}

/** A watcher over a bare `ws` socket on `GET /ws`, authenticated by its first message. */
export class PlainWebSocketWatcher extends WatcherBase implements JobWatcher {
  readonly transport = 'websocket';
  private notice: string | undefined;
  private closing = false;

  private constructor(readonly client: PlainClient) {
    super();
    client.socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString()) as PlainMessage;
      if (message.type === 'subscribed' && message.jobId === this.jobId) {
        if (message.reset === true) this.resets.push(message.snapshot as JobSnapshot);
        this.receive(message.events as JobEvent[]);
      } else if (message.type === 'events') this.receive(message.events as JobEvent[]);
      else if (message.type === 'disconnect') this.notice = message.reason as string;
    });
    void client.closed.then((closeCode) => this.end({ reason: this.notice, closeCode, byClient: this.closing }));
  }

  static async open(baseUrl: string, token: string): Promise<PlainWebSocketWatcher> {
    return new PlainWebSocketWatcher(await openPlain(baseUrl, token));
  }

  async subscribe(jobId: string, afterSeq = 0): Promise<SubscribeAnswer> {
    this.jobId = jobId;
    this.client.send({ type: 'subscribe', id: 'watch', jobId, afterSeq });
    const answer = await Promise.race([
      this.client.answer('watch'),
      this.ended.then((ending) => Promise.reject(new Error(`closed before the answer: ${JSON.stringify(ending)}`))),
    ]);
    if (answer.type !== 'subscribed') return { ok: false, code: (answer.error as { code: string }).code };
    return { ok: true, snapshot: answer.snapshot as JobSnapshot };
  }

  stopReading(): () => void {
    const tcp = (this.client.socket as unknown as { _socket: TcpSocket })._socket;
    tcp.pause();
    return () => tcp.resume();
  }

  close(): void {
    this.closing = true;
    this.client.close();
  }
}
