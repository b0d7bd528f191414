/**
 * A load process for S5: Socket.IO watchers (websocket transport, bursts as `job:events`, as the typed client
 * asks) of jobs that stream stamped words, as `output` events or as one `log` event per word. Each word
 * carries the time it was written (`[t=<ms>]`, demo.text's `timestamps`), so the latency measured is from the
 * handler's write() to the frame that brings it here.
 */
import type { JobEvent } from '@jobcast/contracts';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { io, type Socket } from 'socket.io-client';
import { serveRpc } from '../rpc/rpc';
import { mapConcurrently, sleep } from '../pacing';
import type { OutputWatchParams, OutputWatchReport, OutputWatchersApi } from './output-watchers-api';

const STAMP = /\[t=(\d+\.\d+)\]/g;

interface Watcher {
  socket: Socket;
  text: string;
  lastSeq: number;
  ended: boolean;
}

class OutputWatchers implements OutputWatchersApi {
  private readonly watchers: Watcher[] = [];
  private readonly latency = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private window = { startAt: Number.POSITIVE_INFINITY, endAt: Number.POSITIVE_INFINITY };
  private chunksInWindow = 0;
  private framesInWindow = 0;
  private offsetErrors = 0;
  private seqErrors = 0;
  private textEventsInWindow = 0;

  async watch({ url, token, jobIds }: OutputWatchParams): Promise<void> {
    // A few at a time: a thousand handshakes at once on a gateway busy with the jobs would time out.
    await mapConcurrently(jobIds, 25, (jobId) => this.open(url, token, jobId));
  }

  measure(window: { startAt: number; endAt: number }): Promise<void> {
    this.window = window;
    return Promise.resolve();
  }

  async report({ deadline }: { deadline: number }): Promise<OutputWatchReport> {
    while (Date.now() < deadline && this.watchers.some((watcher) => !watcher.ended)) await sleep(100);
    for (const watcher of this.watchers) watcher.socket.disconnect();
    return {
      chunksInWindow: this.chunksInWindow,
      framesInWindow: this.framesInWindow,
      latency: encodeIntoCompressedBase64(this.latency),
      textEventsInWindow: this.textEventsInWindow,
      seqErrors: this.seqErrors,
      offsetErrors: this.offsetErrors,
      unfinished: this.watchers.filter((watcher) => !watcher.ended).length,
    };
  }

  private open(url: string, token: string, jobId: string): Promise<void> {
    const socket = io(`${url}/jobs`, {
      auth: { token, batch: true },
      transports: ['websocket'],
      forceNew: true,
      timeout: 60_000,
    });
    const watcher: Watcher = { socket, text: '', lastSeq: 0, ended: false };
    this.watchers.push(watcher);
    socket.on('job:event', (event: JobEvent) => this.frame(watcher, [event]));
    socket.on('job:events', (events: JobEvent[]) => this.frame(watcher, events));
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        socket.emit('subscribe', { jobId }, (ack: { ok: boolean; events?: JobEvent[] }) => {
          if (!ack.ok) return reject(new Error(`subscribe ${jobId}: ${JSON.stringify(ack)}`));
          // The backlog is checked but not timed: it was not sent live.
          for (const event of ack.events ?? []) this.take(watcher, event, undefined);
          resolve();
        });
      });
      socket.once('connect_error', reject);
    });
  }

  private frame(watcher: Watcher, events: readonly JobEvent[]): void {
    const receivedAt = performance.timeOrigin + performance.now();
    let inWindow = false;
    for (const event of events) if (this.take(watcher, event, receivedAt)) inWindow = true;
    if (inWindow) this.framesInWindow += 1;
  }

  /** Takes one event; answers whether it carried a word written in the window. */
  private take(watcher: Watcher, event: JobEvent, receivedAt: number | undefined): boolean {
    if (event.seq <= watcher.lastSeq) return false;
    if ((event.fromSeq ?? event.seq) !== watcher.lastSeq + 1) this.seqErrors += 1;
    watcher.lastSeq = event.seq;
    if (event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled') watcher.ended = true;
    let text: string;
    if (event.type === 'output') {
      if (event.data.offset !== watcher.text.length) this.offsetErrors += 1;
      watcher.text += event.data.text;
      text = event.data.text;
    } else if (event.type === 'log') text = event.data.message;
    else return false;
    if (event.at >= this.window.startAt && event.at < this.window.endAt) this.textEventsInWindow += 1;
    let inWindow = false;
    for (const [, stamp] of text.matchAll(STAMP)) {
      const writtenAt = Number(stamp);
      if (receivedAt === undefined || writtenAt < this.window.startAt || writtenAt >= this.window.endAt) continue;
      inWindow = true;
      this.chunksInWindow += 1;
      this.latency.recordValue(Math.max(1, Math.round((receivedAt - writtenAt) * 10)));
    }
    return inWindow;
  }
}

serveRpc(new OutputWatchers());
