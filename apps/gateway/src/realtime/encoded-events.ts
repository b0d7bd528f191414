import { JOBS_NAMESPACE, SocketEvent, type JobEvent } from '@jobcast/contracts';

/**
 * Encodes each event once, however many sockets and streams it goes to. An event that arrived from Redis
 * keeps the JSON it arrived as; the Socket.IO frame (`2/jobs,["job:event",…]`, the parser's encoding of an
 * EVENT packet) is built on first use and shared.
 */
const jsonByEvent = new WeakMap<JobEvent, string>();
const frameByEvent = new WeakMap<JobEvent, string>();

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

/** The Socket.IO packet for `job:event`, ready for the engine (`socket.conn.send`). */
export function jobEventFrame(event: JobEvent): string {
  let frame = frameByEvent.get(event);
  if (frame === undefined) {
    frame = `2${JOBS_NAMESPACE},["${SocketEvent.JOB_EVENT}",${eventJson(event)}]`;
    frameByEvent.set(event, frame);
  }
  return frame;
}
