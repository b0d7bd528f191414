import { JOBS_NAMESPACE, SocketEvent, type JobEvent } from '@jobcast/contracts';
import * as ws from 'ws';
import { eventJson, eventsJson } from '../event-json';

interface FrameOptions {
  fin: boolean;
  mask: boolean;
  opcode: number;
  readOnly: boolean;
  rsv1: boolean;
}
/** ws's frame builder: exported at runtime (Socket.IO's adapter uses it the same way), not in @types/ws. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/**
 * The Socket.IO frames (`2/jobs,["job:event",…]` and `2/jobs,["job:events",[…]]`, the parser's encoding of
 * an EVENT packet), built on first use and shared by every socket that gets the same event, or the same
 * burst of events.
 */
const frameByContent = new WeakMap<JobEvent | readonly JobEvent[], EncodedFrame>();

/** A Socket.IO packet, and the same packet as a finished WebSocket frame for the websocket transport. */
export interface EncodedFrame {
  packet: string;
  /** Engine.IO's websocket transport writes this as is (`wsPreEncodedFrame`), as Socket.IO's broadcasts do. */
  options: { compress: false; wsPreEncodedFrame: Buffer[] };
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
    // "4": Engine.IO's message type, which the transport would otherwise prepend for every socket.
    const wsPreEncodedFrame = Sender.frame(Buffer.from(`4${packet}`), {
      fin: true,
      mask: false,
      opcode: 1,
      readOnly: false,
      rsv1: false,
    });
    frame = { packet, options: { compress: false, wsPreEncodedFrame } };
    frameByContent.set(content, frame);
  }
  return frame;
}
