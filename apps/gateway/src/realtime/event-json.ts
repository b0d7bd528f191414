import type { JobEvent } from '@jobcast/contracts';

/**
 * Each event's JSON, made once however many sockets and streams it goes to, on every transport. An event
 * that arrived from Redis keeps the JSON it arrived as.
 */
const jsonByEvent = new WeakMap<JobEvent, string>();

export function rememberJson(event: JobEvent, json: string): void {
  jsonByEvent.set(event, json);
}

export function eventJson(event: JobEvent): string {
  let json = jsonByEvent.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    jsonByEvent.set(event, json);
  }
  return json;
}

/** The events as a JSON array, made from each event's own JSON. */
export function eventsJson(events: readonly JobEvent[]): string {
  return `[${events.map(eventJson).join(',')}]`;
}
