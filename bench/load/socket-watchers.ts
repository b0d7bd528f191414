/**
 * A load process: thousands of socket.io-client connections that each watch one job at a time, as a
 * browser tab would. The same code watches Jobcast and the baselines: namespace `/jobs`, `subscribe
 * {jobId}` with an ack, then `job:event` pushes carrying `seq` and `at` (and, from Jobcast, `job:events`
 * bursts of them, which its own client opts in to). With `protocol: 'plain-websocket'`, the watchers are
 * `ws` clients of Jobcast's plain WebSocket instead (PlainWatcher).
 */
import {
  JOBS_NAMESPACE,
  SocketEvent,
  isTerminalEvent,
  type DisconnectNotice,
  type JobEvent,
  type SocketAuth,
} from '@jobcast/contracts';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { EMPTY_INTEGRITY, EventStream, addIntegrity, inWindow, type MeasureWindow } from '../metrics/event-stream';
import { createLatencyHistogram, encodeHistogram } from '../metrics/latency-histogram';
import { mapConcurrently, sleep } from '../pacing';
import { serveRpc } from '../rpc/rpc';
import { PlainWatcher } from './plain-watcher';
import type {
  ConnectParams,
  ConnectResult,
  WatcherProtocol,
  SocketWatchersApi,
  SubscribeParams,
  SubscribeResult,
  WatchersReport,
} from './socket-watchers-api';

/** Handshakes in flight per process: enough to keep a server busy, few enough that none times out. */
const CONNECT_CONCURRENCY = 50;
const SUBSCRIBE_CONCURRENCY = 200;
const HANDSHAKE_TIMEOUT_MS = 30_000;
const ACK_TIMEOUT_MS = 30_000;
const ERRORS_KEPT = 5;

/** Jobcast acks `{ok, snapshot, events}`; the baselines `{ok: true}`. */
interface SubscribeAnswer {
  ok: boolean;
  events?: JobEvent[];
  error?: { code: string };
}

class SocketWatchers implements SocketWatchersApi {
  private readonly sockets: Array<Socket | PlainWatcher | undefined> = [];
  private readonly streams = new Map<number, EventStream>();
  private window: MeasureWindow | undefined;
  private latency = createLatencyHistogram();
  private delivered = 0;
  private disconnects: Record<string, number> = {};
  private closing = false;

  async connect({ urls, token, localAddresses, protocol = 'socket.io' }: ConnectParams): Promise<ConnectResult> {
    const first = this.sockets.length;
    this.sockets.length += urls.length;
    const errors: string[] = [];
    const outcomes = await mapConcurrently(urls, CONNECT_CONCURRENCY, async (url, i) => {
      try {
        const localAddress = localAddresses?.[i % localAddresses.length];
        this.sockets[first + i] = await this.open(first + i, url, token, localAddress, protocol);
        return true;
      } catch (error) {
        if (errors.length < ERRORS_KEPT) errors.push(error instanceof Error ? error.message : String(error));
        return false;
      }
    });
    const connected = outcomes.filter(Boolean).length;
    return { connected, failed: urls.length - connected, errors };
  }

  async subscribe({ assignments }: SubscribeParams): Promise<SubscribeResult> {
    const errors: string[] = [];
    const outcomes = await mapConcurrently(assignments, SUBSCRIBE_CONCURRENCY, async ([index, jobId]) => {
      const stream = new EventStream(jobId);
      this.streams.set(index, stream);
      try {
        await this.subscribeSocket(index, stream);
        return true;
      } catch (error) {
        this.streams.delete(index);
        if (errors.length < ERRORS_KEPT) errors.push(error instanceof Error ? error.message : String(error));
        return false;
      }
    });
    const subscribed = outcomes.filter(Boolean).length;
    return { subscribed, failed: assignments.length - subscribed, errors };
  }

  measure(window: MeasureWindow): Promise<void> {
    this.window = window;
    return Promise.resolve();
  }

  async awaitTerminals({ timeoutMs }: { timeoutMs: number }): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const unfinished = (): boolean => [...this.streams.values()].some((stream) => !stream.finished);
    while (unfinished() && Date.now() < deadline) await sleep(50);
  }

  report(): Promise<WatchersReport> {
    let integrity = EMPTY_INTEGRITY;
    let offered = 0;
    for (const stream of this.streams.values()) {
      integrity = addIntegrity(integrity, stream.integrity());
      offered += stream.offeredInWindow;
    }
    const report = {
      delivered: this.delivered,
      offered,
      latency: encodeHistogram(this.latency),
      integrity,
      disconnects: this.disconnects,
    };
    this.streams.clear();
    this.window = undefined;
    this.latency = createLatencyHistogram();
    this.delivered = 0;
    this.disconnects = {};
    return Promise.resolve(report);
  }

  close(): Promise<void> {
    this.closing = true;
    for (const socket of this.sockets) socket?.close();
    this.sockets.length = 0;
    return Promise.resolve();
  }

  private open(
    index: number,
    url: string,
    token: string | undefined,
    localAddress: string | undefined,
    protocol: WatcherProtocol,
  ): Promise<Socket | PlainWatcher> {
    if (protocol === 'plain-websocket') {
      const handlers = {
        events: (events: readonly JobEvent[]) => this.onLiveEvents(index, events),
        closed: (reason: string) => this.countDisconnect(reason),
      };
      return PlainWatcher.open(url, token, localAddress, handlers, HANDSHAKE_TIMEOUT_MS);
    }
    // `localAddress` is handed through engine.io-client to `ws`, but is missing from the typed options.
    const options: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {
      transports: ['websocket'],
      // One connection per watcher: without it io() multiplexes every socket to a URL over one connection.
      forceNew: true,
      reconnection: false,
      timeout: HANDSHAKE_TIMEOUT_MS,
      // Jobcast's own client opts in to `job:events` batches; the baselines ignore the field.
      ...(token !== undefined && { auth: { token, batch: true } satisfies SocketAuth }),
      ...(localAddress !== undefined && { localAddress }),
    };
    const socket = io(url + JOBS_NAMESPACE, options);
    socket.on(SocketEvent.JOB_EVENT, (event: JobEvent) => this.onLiveEvents(index, [event]));
    socket.on(SocketEvent.JOB_EVENTS, (events: JobEvent[]) => this.onLiveEvents(index, events));
    socket.on(SocketEvent.DISCONNECT_NOTICE, (notice: DisconnectNotice) =>
      this.countDisconnect(`notice ${notice.reason}`),
    );
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('connect_error');
        socket.on('disconnect', (reason) => this.countDisconnect(reason));
        resolve(socket);
      });
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
  }

  /**
   * The backlog is taken in the ack callback itself: live events can follow the ack in the same read from
   * the connection, and code after an `await` would run only after them.
   */
  private subscribeSocket(index: number, stream: EventStream): Promise<void> {
    const socket = this.sockets[index];
    if (socket instanceof PlainWatcher) {
      return socket.subscribe(stream.jobId, ACK_TIMEOUT_MS, (backlog) => {
        for (const event of backlog) this.accept(stream, event);
      });
    }
    if (!socket?.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      socket
        .timeout(ACK_TIMEOUT_MS)
        .emit(SocketEvent.SUBSCRIBE, { jobId: stream.jobId }, (error: Error | null, answer: SubscribeAnswer) => {
          if (error) return reject(error);
          if (!answer.ok) return reject(new Error(answer.error?.code ?? 'refused'));
          for (const event of answer.events ?? []) this.accept(stream, event);
          resolve();
        });
    });
  }

  private onLiveEvents(index: number, events: readonly JobEvent[]): void {
    const receivedAt = Date.now();
    const stream = this.streams.get(index);
    for (const event of events) {
      // A stream already reported, or the job a socket watched before this measurement.
      if (stream?.jobId !== event.jobId) return;
      this.accept(stream, event);
      if (inWindow(this.window, receivedAt)) {
        this.delivered += 1;
        this.latency.recordValue(Math.max(0, receivedAt - event.at));
      }
    }
  }

  private accept(stream: EventStream, event: JobEvent): void {
    stream.accept(event.seq, event.fromSeq);
    if (inWindow(this.window, event.at)) stream.offered(event.seq);
    if (isTerminalEvent(event)) stream.finished = true;
  }

  private countDisconnect(reason: string): void {
    if (this.closing) return;
    this.disconnects[reason] = (this.disconnects[reason] ?? 0) + 1;
  }
}

serveRpc(new SocketWatchers());
