/**
 * A load process for S6: dashboard watchers over Jobcast's plain WebSocket (`/ws`, jobcast.v1), each watching
 * every job of one batch, either through the batch's feed (`subscribe {feed: {batch}}`, live `jobs` messages) or
 * by subscribing to each job one by one (`subscribe {jobId}`, live `events` messages). Latency runs from the
 * snapshot's `updatedAt` (feed) or the event's `at` (per job) to receipt: the time the change was made.
 */
import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import WebSocket from 'ws';
import { mapConcurrently } from '../pacing';
import { serveRpc } from '../rpc/rpc';
import type { DashboardWatchParams, DashboardWatchReport, DashboardWatchersApi } from './dashboard-watchers-api';

const ANSWER_TIMEOUT_MS = 30_000;

type Message = { type: string; id?: string; jobs?: JobSnapshot[]; events?: JobEvent[]; error?: { code: string } };

class DashboardWatchers implements DashboardWatchersApi {
  private readonly sockets: WebSocket[] = [];
  private readonly latency = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
  private window = { startAt: Number.POSITIVE_INFINITY, endAt: Number.POSITIVE_INFINITY };
  private updatesInWindow = 0;
  private messagesInWindow = 0;
  private closed = 0;

  async watch(params: DashboardWatchParams): Promise<void> {
    // A few at a time: handshakes all at once on a gateway busy with the jobs would time out.
    await mapConcurrently(Array.from({ length: params.watchers }), 5, () => this.open(params));
  }

  measure(window: { startAt: number; endAt: number }): Promise<void> {
    this.window = window;
    return Promise.resolve();
  }

  report(): Promise<DashboardWatchReport> {
    for (const socket of this.sockets) socket.removeAllListeners('close').terminate();
    return Promise.resolve({
      updatesInWindow: this.updatesInWindow,
      messagesInWindow: this.messagesInWindow,
      latency: encodeIntoCompressedBase64(this.latency),
      closed: this.closed,
    });
  }

  private async open({ url, token, mode, batchId, jobIds }: DashboardWatchParams): Promise<void> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, 'jobcast.v1', {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: ANSWER_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    this.sockets.push(socket);
    const answers = new Map<string, (message: Message) => void>();
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const receivedAt = Date.now();
        const message = JSON.parse((data as Buffer).toString()) as Message;
        if (message.type === 'welcome') resolve();
        else if (message.type === 'jobs' && message.jobs) {
          this.take(
            receivedAt,
            message.jobs.map((job) => job.updatedAt),
          );
        } else if (message.type === 'events' && message.events) {
          this.take(
            receivedAt,
            message.events.map((event) => event.at),
          );
        } else if (message.id !== undefined) answers.get(message.id)?.(message);
      });
      socket.once('error', reject);
      socket.once('close', () => {
        this.closed += 1;
        reject(new Error('closed before welcome'));
      });
    });
    let lastId = 0;
    const subscribe = (request: Record<string, unknown>): Promise<void> => {
      const id = String((lastId += 1));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(request)}`)), ANSWER_TIMEOUT_MS);
        answers.set(id, (answer) => {
          clearTimeout(timer);
          answers.delete(id);
          if (answer.type === 'subscribed') resolve();
          else reject(new Error(`${JSON.stringify(request)}: ${answer.error?.code ?? answer.type}`));
        });
        socket.send(JSON.stringify({ type: 'subscribe', id, ...request }));
      });
    };
    if (mode === 'feed') await subscribe({ feed: { batch: batchId } });
    // One by one, as a dashboard without feeds would: each answer before the next subscribe.
    else for (const jobId of jobIds) await subscribe({ jobId });
  }

  /** One live message: the times its job updates were made. Only what arrives in the window counts. */
  private take(receivedAt: number, madeAt: readonly number[]): void {
    if (receivedAt < this.window.startAt || receivedAt >= this.window.endAt) return;
    this.messagesInWindow += 1;
    this.updatesInWindow += madeAt.length;
    for (const at of madeAt) this.latency.recordValue(Math.max(1, receivedAt - at));
  }
}

serveRpc(new DashboardWatchers());
