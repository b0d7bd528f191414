import { JOBS_NAMESPACE, SocketEvent, type JobEvent } from '@jobcast/contracts';
import * as ws from 'ws';

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
 * Encodes each event once, however many sockets and streams it goes to. An event that arrived from Redis
 * keeps the JSON it arrived as; the Socket.IO frame (`2/jobs,["job:event",…]`, the parser's encoding of an
 * EVENT packet) is built on first use and shared.
 */
const jsonByEvent = new WeakMap<JobEvent, string>();
const frameByEvent = new WeakMap<JobEvent, EncodedFrame>();

/** A job:event packet, and the same packet as a finished WebSocket frame for the websocket transport. */
export interface EncodedFrame {
  packet: string;
  /** Engine.IO's websocket transport writes this as is (`wsPreEncodedFrame`), as Socket.IO's broadcasts do. */
  options: { compress: false; wsPreEncodedFrame: Buffer[] };
}

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

/** The Socket.IO packet for `job:event`, ready for the engine: `socket.conn.send(frame.packet, frame.options)`. */
export function jobEventFrame(event: JobEvent): EncodedFrame {
  let frame = frameByEvent.get(event);
  if (frame === undefined) {
    const packet = `2${JOBS_NAMESPACE},["${SocketEvent.JOB_EVENT}",${eventJson(event)}]`;
    // "4": Engine.IO's message type, which the transport would otherwise prepend for every socket.
    const wsPreEncodedFrame = Sender.frame(Buffer.from(`4${packet}`), {
      fin: true,
      mask: false,
      opcode: 1,
      readOnly: false,
      rsv1: false,
    });
    frame = { packet, options: { compress: false, wsPreEncodedFrame } };
    frameByEvent.set(event, frame);
  }
  return frame;
}
