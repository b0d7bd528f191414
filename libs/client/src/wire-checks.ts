import {
  JOB_STATUSES,
  type ApiError,
  type ApiErrorBody,
  type JobEvent,
  type JobSnapshot,
  type SubscribeAck,
} from '@jobcast/contracts/protocol';

/**
 * Checks of what a gateway sends, written out rather than with the contracts' zod schemas: the client runs
 * in browsers, where zod would be most of its bundle. They check what the client relies on (the fields it
 * reads and their types); the gateway checks everything else before it is ever logged.
 */

/** The event types this client knows; it takes an event of any other type's seq and ignores the rest of it. */
const EVENT_TYPES: ReadonlySet<unknown> = new Set<JobEvent['type']>([
  'queued',
  'started',
  'progress',
  'log',
  'output',
  'retrying',
  'completed',
  'failed',
  'cancelled',
]);
const STATUSES: ReadonlySet<unknown> = new Set(JOB_STATUSES);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** An event, of any type: the client relies on its job, seq and order whatever the type (see isKnownEvent). */
export function isJobEvent(value: unknown): value is JobEvent {
  return (
    isRecord(value) &&
    typeof value.jobId === 'string' &&
    isSeq(value.seq) &&
    typeof value.at === 'number' &&
    typeof value.type === 'string' &&
    isRecord(value.data) &&
    (value.fromSeq === undefined || (isSeq(value.fromSeq) && value.fromSeq <= value.seq))
  );
}

/**
 * Whether the client knows the event's type (and so what its data holds): a newer gateway may log types it
 * does not, which it must skip rather than take as malformed. An `output` event's data is checked too, as
 * the text is what the client builds from it.
 */
export function isKnownEvent(event: JobEvent): boolean {
  if (!EVENT_TYPES.has(event.type)) return false;
  if (event.type !== 'output') return true;
  const { key, offset, text } = event.data as Partial<Record<string, unknown>>;
  return typeof key === 'string' && Number.isSafeInteger(offset) && typeof text === 'string';
}

export function isJobSnapshot(value: unknown): value is JobSnapshot {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    STATUSES.has(value.status) &&
    typeof value.percent === 'number' &&
    Number.isSafeInteger(value.lastSeq) &&
    typeof value.attempt === 'number' &&
    typeof value.createdAt === 'number' &&
    typeof value.updatedAt === 'number'
  );
}

export function isApiError(value: unknown): value is ApiError {
  return isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return isRecord(value) && isApiError(value.error);
}

/** A subscribe answer, or undefined when it is not one. */
export function checkSubscribeAck(value: unknown): SubscribeAck | undefined {
  if (!isRecord(value)) return undefined;
  if (value.ok === false) return isApiError(value.error) ? (value as SubscribeAck) : undefined;
  const valid =
    value.ok === true &&
    isJobSnapshot(value.snapshot) &&
    Array.isArray(value.events) &&
    value.events.every(isJobEvent) &&
    (value.reset === undefined || value.reset === true) &&
    (value.more === undefined || value.more === true);
  return valid ? (value as SubscribeAck) : undefined;
}
