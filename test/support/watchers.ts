import { connect, type JobcastClient } from '@jobcast/client';
import type { JobEvent } from '@jobcast/contracts';
import { expect } from 'vitest';
import { eventually } from './eventually';

export interface Watcher {
  client: JobcastClient;
  events: JobEvent[];
  done: Promise<JobEvent>;
}

/** A typed-client watcher that records every event it delivers (over Socket.IO's websocket, or the plain WebSocket). */
export function watchWithClient(
  urls: string[],
  token: string,
  jobId: string,
  transport: 'socket.io' | 'websocket' = 'socket.io',
): Watcher {
  const client = connect({
    urls,
    token,
    transport,
    transports: ['websocket'],
    reconnectDelayMs: 100,
    maxReconnectDelayMs: 1000,
  });
  const watch = client.watch(jobId);
  const events: JobEvent[] = [];
  watch.onEvent((event) => events.push(event));
  return { client, events, done: watch.done };
}

/**
 * What a watcher must end with: seqs 1..n, each exactly once and in order, where a conflated progress
 * event (`fromSeq`) stands for fromSeq..seq, ending with the terminal event.
 */
export function expectCompleteSequence(events: readonly JobEvent[], terminal = 'completed'): void {
  let next = 1;
  for (const event of events) {
    const from = event.fromSeq ?? event.seq;
    expect({ seq: event.seq, from, expected: next }).toEqual({ seq: event.seq, from: next, expected: next });
    if (event.fromSeq !== undefined) expect(event.type).toBe('progress');
    next = event.seq + 1;
  }
  expect(events.at(-1)?.type).toBe(terminal);
}

/** Resolves once `watcher` has received `count` events (of `type`, when given), or fails after 30 s. */
export async function received(watcher: { events: readonly JobEvent[] }, count: number, type?: string): Promise<void> {
  const matching = () => watcher.events.filter((event) => type === undefined || event.type === type).length;
  await eventually(`${count} ${type ?? ''} events (got ${matching()})`, () => matching() >= count, 30_000, 20);
}

/** Each event's type, in order: what a job's outline is compared by. */
export function eventTypes(events: readonly JobEvent[]): string[] {
  return events.map((event) => event.type);
}

/**
 * The types a job's events must have: `queued`, then for each attempt `started`, its progress events and
 * how it ended (`retrying` for all but the last).
 */
export function attemptTypes(...attempts: Array<{ progress: number; end: string }>): string[] {
  return [
    'queued',
    ...attempts.flatMap(({ progress, end }) => ['started', ...Array<string>(progress).fill('progress'), end]),
  ];
}
