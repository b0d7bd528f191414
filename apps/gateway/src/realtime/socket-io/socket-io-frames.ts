import { JOBS_NAMESPACE, SocketEvent, type JobEvent } from '@jobcast/contracts';
import { eventJson, eventsJson } from '../event-json';
import { preEncodedSendOptions, type PreEncodedSendOptions } from '../framework-internals';

/**
 * The Socket.IO frames (`2/jobs,["job:event",…]` and `2/jobs,["job:events",[…]]`, the parser's encoding of
 * an EVENT packet), built on first use and shared by every socket that gets the same event, or the same
 * burst of events.
 */
const frameByContent = new WeakMap<JobEvent | readonly JobEvent[], EncodedFrame>();

/** A Socket.IO packet, and the same packet as a finished WebSocket frame for the websocket transport. */
export interface EncodedFrame {
  packet: string;
  options: PreEncodedSendOptions;
}

/** The `job:event` packet, ready for the engine: `socket.conn.send(frame.packet, frame.options)`. */
export function jobEventFrame(event: JobEvent): EncodedFrame {
  return cachedFrame(event, () => `["${SocketEvent.JOB_EVENT}",${eventJson(event)}]`);
}

/** The `job:events` packet carrying a burst of one job's events, for sockets that opted in to batches. */
export function jobEventsFrame(events: readonly JobEvent[]): EncodedFrame {
  return cachedFrame(events, () => `["${SocketEvent.JOB_EVENTS}",${eventsJson(events)}]`);
}

function cachedFrame(content: JobEvent | readonly JobEvent[], encodeData: () => string): EncodedFrame {
  let frame = frameByContent.get(content);
  if (frame === undefined) {
    const packet = `2${JOBS_NAMESPACE},${encodeData()}`;
    frame = { packet, options: preEncodedSendOptions(packet) };
    frameByContent.set(content, frame);
  }
  return frame;
}
