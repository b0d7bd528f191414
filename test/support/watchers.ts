import { connect, type JobcastClient } from '@jobcast/client';
import type { JobEvent } from '@jobcast/contracts';
import { expect } from 'vitest';

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
