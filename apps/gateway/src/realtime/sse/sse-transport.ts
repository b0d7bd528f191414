import type { JobEvent } from '@jobcast/contracts';
import type { Response } from 'express';
import { eventJson } from '../event-json';
import type { OutboxTransport } from '../outbox';

/** Bytes an SSE response may hold unsent before the outbox starts holding (and conflating) events itself. */
const RESPONSE_HIGH_WATER = 64 * 1024;

export function sseEventFrame(event: JobEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${eventJson(event)}\n\n`;
}

/**
 * The outbox's way to an SSE stream. A stream that falls too far behind is cut: SSE has no way to say why,
 * and EventSource reconnects by itself with Last-Event-ID, the last event it read whole.
 */
export const sseTransport: OutboxTransport<Response> = {
  name: 'sse',
  isBusy: (response) => response.writableLength > RESPONSE_HIGH_WATER,
  write(response, events: readonly JobEvent[]) {
    response.write(events.map(sseEventFrame).join(''));
  },
  onceDrained: (response, onDrain) => response.once('drain', onDrain),
  dropSlow: (response) => response.destroy(),
};
