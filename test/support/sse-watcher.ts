import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { WatcherBase, type JobWatcher, type SubscribeAnswer } from './job-watcher';

/** The comments a gateway ends an SSE stream with (docs/protocol.md), by the reason the other transports name. */
const ENDING_COMMENTS: ReadonlyArray<[RegExp, string]> = [
  [/too far behind/, 'SLOW_CONSUMER'],
  [/token has expired/, 'TOKEN_EXPIRED'],
];

/**
 * A watcher over `GET /jobs/:id/events` with Node's own HTTP client, reading the event stream as it comes:
 * `event: reset` frames, event frames (their `id` the seq, their `event` the type) and comments. It resumes as
 * EventSource does, with `Last-Event-ID`.
 */
export class SseWatcher extends WatcherBase implements JobWatcher {
  readonly transport = 'sse';
  /** Each frame's `id` and `event` fields, beside its JobEvent: what the stream's own framing said. */
  readonly frames: Array<{ id?: string; event?: string }> = [];
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  private reason: string | undefined;
  private closing = false;
  private text = '';

  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {
    super();
  }

  /** Opens nothing yet: each SSE stream is its own request, made by `subscribe`. */
  static open(baseUrl: string, token: string): Promise<SseWatcher> {
    return Promise.resolve(new SseWatcher(baseUrl, token));
  }

  subscribe(jobId: string, afterSeq = 0): Promise<SubscribeAnswer> {
    this.jobId = jobId;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
      if (afterSeq > 0) headers['last-event-id'] = String(afterSeq);
      const req = request(`${this.baseUrl}/jobs/${jobId}/events`, { headers });
      this.req = req;
      req.on('error', (error) => {
        reject(error);
        this.end({ reason: this.reason, byClient: this.closing });
      });
      req.on('response', (res) => {
        this.res = res;
        // A gateway killed mid-stream aborts the response: that is an ending, seen on 'close'.
        res.on('error', () => undefined);
        res.on('close', () => this.end({ reason: this.reason, byClient: this.closing }));
        if (res.statusCode === 204) {
          res.resume();
          resolve({ ok: true, nothingMore: true });
          return;
        }
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () =>
            resolve({ ok: false, code: (JSON.parse(body) as { error: { code: string } }).error.code }),
          );
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.read(chunk));
        resolve({ ok: true });
      });
      req.end();
    });
  }

  private read(chunk: string): void {
    this.text += chunk;
    const frames = this.text.split('\n\n');
    this.text = frames.pop() ?? '';
    const events: JobEvent[] = [];
    for (const frame of frames) {
      const lines = frame.split('\n');
      for (const line of lines) {
        if (!line.startsWith(':')) continue;
        const found = ENDING_COMMENTS.find(([pattern]) => pattern.test(line));
        if (found) this.reason = found[1];
      }
      const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      if (data === undefined) continue;
      if (field('event') === 'reset') this.resets.push(JSON.parse(data) as JobSnapshot);
      else {
        events.push(JSON.parse(data) as JobEvent);
        this.frames.push({ id: field('id'), event: field('event') });
      }
    }
    this.receive(events);
  }

  stopReading(): () => void {
    const tcp = this.res?.socket;
    if (!tcp) throw new Error('no stream to stop reading');
    tcp.pause();
    return () => tcp.resume();
  }

  close(): void {
    this.closing = true;
    this.req?.destroy();
  }
}
