import {
  FEED_STREAM_EVENT,
  type BatchSnapshot,
  type Feed,
  type FeedStreamData,
  type JobEvent,
  type JobSnapshot,
} from '@jobcast/contracts';
import type { Response } from 'express';
import { eventJson } from '../event-json';
import type { OutboxTransport } from '../outbox';
import type { OpenStream } from './open-streams';

/** Bytes an SSE response may hold unsent before the outbox starts holding (and conflating) events itself. */
const RESPONSE_HIGH_WATER = 64 * 1024;

/** How long an ended stream's client has to read what is left before its connection is cut. */
const END_GRACE_MS = 5000;

export function sseEventFrame(event: JobEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${eventJson(event)}\n\n`;
}

/** What a stream's response starts with, whatever it streams. */
export function writeStreamHeaders(response: Response): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Tells nginx not to buffer the stream.
    'x-accel-buffering': 'no',
  });
}

/**
 * A feed's answer or update as SSE: `event: jobs` whose `id:` is the cursor after it, so EventSource resumes
 * after it with Last-Event-ID; a reset is announced first by `event: reset` naming the feed.
 */
export function feedFrame(page: {
  feed: Feed;
  jobs: JobSnapshot[];
  cursor: string;
  batch?: BatchSnapshot;
  reset?: true;
}): string {
  const data: FeedStreamData = { feed: page.feed, jobs: page.jobs, ...(page.batch && { batch: page.batch }) };
  const reset = page.reset ? `event: reset\ndata: ${JSON.stringify({ feed: page.feed })}\n\n` : '';
  return `${reset}id: ${page.cursor}\nevent: ${FEED_STREAM_EVENT}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A stream's head, the subscribe's answer: `retry:`, an `event: reset` with the snapshot when the log could not
 * give every event after the resume point, then the first page of the backlog.
 */
export function writeStreamHead(
  response: Response,
  snapshot: JobSnapshot,
  backlog: readonly JobEvent[],
  reset: boolean,
) {
  writeStreamHeaders(response);
  const resetFrame = reset ? `event: reset\ndata: ${JSON.stringify(snapshot)}\n\n` : '';
  response.write(`retry: 1000\n\n${resetFrame}${backlog.map(sseEventFrame).join('')}`);
}

/**
 * The outbox's way to an SSE stream. A stream that falls too far behind is ended with a comment saying why;
 * EventSource reconnects by itself with Last-Event-ID, the last event it read whole.
 */
export const sseTransport: OutboxTransport<OpenStream> = {
  name: 'sse',
  isBusy: ({ response }) => response.writableLength > RESPONSE_HIGH_WATER,
  write({ response }, events: readonly JobEvent[]) {
    // A stream ended on purpose (token expiry, drain) may still have a relay finishing its last read.
    if (!response.writableEnded) response.write(events.map(sseEventFrame).join(''));
  },
  onceDrained: ({ response }, onDrain) => response.once('drain', onDrain),
  dropSlow: ({ response }) => endStream(response, 'too far behind; reconnect with Last-Event-ID'),
};

/**
 * Ends a stream on purpose with a comment saying why (SSE has no other way to), and cuts the connection of
 * a client that does not read the end in time.
 */
export function endStream(response: Response, why: string): void {
  if (response.writableEnded) return;
  response.end(`: ${why}\n\n`);
  setTimeout(() => response.destroy(), END_GRACE_MS).unref();
}
