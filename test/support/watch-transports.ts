import type { JobEvent, JobSnapshot } from '@jobcast/contracts';
import { sleep } from './eventually';
import type { Ending, JobWatcher, Transport } from './job-watcher';
import { PlainWebSocketWatcher } from './plain-websocket-watcher';
import { isTerminal } from './raw-socket';
import { SocketIoWatcher } from './socket-io-watcher';
import { SseWatcher } from './sse-watcher';

export { TRANSPORTS, type Ending, type JobWatcher, type SubscribeAnswer, type Transport } from './job-watcher';

/** A watcher of `transport`, connected (and authenticated) to the gateway at `baseUrl`. */
export function openWatcher(transport: Transport, baseUrl: string, token: string): Promise<JobWatcher> {
  switch (transport) {
    case 'socket.io':
      return SocketIoWatcher.open(baseUrl, token);
    case 'websocket':
      return PlainWebSocketWatcher.open(baseUrl, token);
    case 'sse':
      return SseWatcher.open(baseUrl, token);
  }
}

/** Opens a watcher and subscribes it to the job after `afterSeq`; fails unless the subscribe is answered ok. */
export async function watchJob(
  transport: Transport,
  baseUrl: string,
  token: string,
  jobId: string,
  afterSeq = 0,
): Promise<JobWatcher> {
  const watcher = await openWatcher(transport, baseUrl, token);
  const answer = await watcher.subscribe(jobId, afterSeq);
  if (!answer.ok) {
    watcher.close();
    throw new Error(`${transport} subscribe to ${jobId} answered ${answer.code}`);
  }
  return watcher;
}

/** Answers a subscribe may get from a gateway that is going away: try the next one. */
const PASSING_REFUSALS = new Set(['SHUTTING_DOWN', 'SERVICE_UNAVAILABLE']);

/**
 * A watcher that resumes by the rule of docs/protocol.md, over any transport: on any drop, connect to the next
 * gateway and subscribe with `afterSeq` = the last seq received. It keeps no other state and drops nothing, so
 * what it ends with is exactly what the gateways sent.
 */
export class ResumingWatcher {
  readonly events: JobEvent[] = [];
  readonly resets: JobSnapshot[] = [];
  /** How each connection that ended before the terminal event ended. */
  readonly endings: Ending[] = [];
  /** Resolves with every event once the terminal one arrived. */
  readonly done: Promise<JobEvent[]>;
  private current: JobWatcher | undefined;
  private stopped = false;

  constructor(
    readonly transport: Transport,
    private readonly urls: readonly string[],
    private readonly token: string,
    private readonly jobId: string,
  ) {
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  /** The connection it watches over now. */
  get watcher(): JobWatcher | undefined {
    return this.current;
  }

  close(): void {
    this.stopped = true;
    this.current?.close();
  }

  private async run(): Promise<JobEvent[]> {
    for (let attempt = 0; attempt < 300 && !this.stopped; attempt += 1) {
      const url = this.urls[attempt % this.urls.length] as string;
      const ending = await this.watchOnce(url).catch((error: unknown) => ({ failed: String(error) }));
      if (this.events.some(isTerminal)) {
        this.current?.close();
        return this.events;
      }
      if ('byClient' in ending) {
        this.endings.push(ending);
        if (ending.closeCode !== undefined && ending.closeCode >= 4400 && ending.closeCode < 4500)
          throw new Error(`${this.transport}: closed with ${ending.closeCode}, not to be resumed`);
      }
      await sleep(100);
    }
    throw new Error(`${this.transport}: no terminal event after 300 connections; got ${this.events.length} events`);
  }

  /** One connection: resolves with how it ended, or once the terminal event arrived over it. */
  private async watchOnce(url: string): Promise<Ending | { failed: string }> {
    const watcher = await openWatcher(this.transport, url, this.token);
    this.current = watcher;
    if (this.stopped) watcher.close();
    watcher.onEvents((events) => this.events.push(...events));
    const resetsBefore = watcher.resets.length;
    const answer = await watcher.subscribe(this.jobId, this.events.at(-1)?.seq ?? 0);
    if (!answer.ok) {
      watcher.close();
      if (PASSING_REFUSALS.has(answer.code)) return { failed: answer.code };
      throw new Error(`${this.transport}: subscribe answered ${answer.code}`);
    }
    const terminal = watcher.waitFor(isTerminal, 120_000).then(
      () => ({ byClient: true }),
      () => undefined,
    );
    const ending = (await Promise.race([watcher.ended, terminal])) ?? (await watcher.ended);
    this.resets.push(...watcher.resets.slice(resetsBefore));
    return ending;
  }
}
