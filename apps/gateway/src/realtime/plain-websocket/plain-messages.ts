import {
  ErrorCode,
  MAX_REQUEST_ID_LENGTH,
  PlainClientMessageSchema,
  type ApiError,
  type PlainClientMessage,
} from '@jobcast/contracts';
import type { RawData } from 'ws';

/** A frame that is not a request: the error to answer with, and the client's `id` when it gave a usable one. */
export interface RejectedFrame {
  id?: string;
  error: ApiError;
}

function rejected(message: string, id?: string, details?: unknown): { rejected: RejectedFrame } {
  const error: ApiError = { code: ErrorCode.VALIDATION_FAILED, message, ...(details !== undefined && { details }) };
  return { rejected: id === undefined ? { error } : { id, error } };
}

/** The frame's `id`, when it is one the answer may echo. */
function usableId(frame: object): string | undefined {
  const id: unknown = Object.hasOwn(frame, 'id') ? (frame as { id: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= MAX_REQUEST_ID_LENGTH ? id : undefined;
}

/** ws hands a message over as one Buffer, or as its fragments' Buffers. */
function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.isBuffer(data) ? data.toString() : Buffer.from(data).toString();
}

/**
 * Reads one frame from a plain WebSocket client: a text frame holding one JSON object with a known `type`
 * and valid fields, or the VALIDATION_FAILED error that answers it (with a few of the schema's issues).
 */
export function parsePlainMessage(
  data: RawData,
  isBinary: boolean,
): { message: PlainClientMessage } | { rejected: RejectedFrame } {
  if (isBinary) return rejected('Frames must be text frames holding a JSON object');
  let frame: unknown;
  try {
    frame = JSON.parse(textOf(data));
  } catch {
    return rejected('Frame is not JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return rejected('Frame is not a JSON object');
  }
  const id = usableId(frame);
  const parsed = PlainClientMessageSchema.safeParse(frame);
  if (!parsed.success) return rejected('Malformed request', id, parsed.error.issues.slice(0, 10));
  return { message: parsed.data };
}
