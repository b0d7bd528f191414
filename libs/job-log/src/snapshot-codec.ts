import { JobSnapshotSchema, type JobEventBody, type JobSnapshot } from '@jobcast/contracts';

/** A job's snapshot as stored, with the owner that only the gateway's access checks see. */
export interface JobRecord {
  snapshot: JobSnapshot;
  owner: string;
  /** Set by a cancel request; a worker that picks the job up afterwards cancels instead of running it. */
  cancelRequested: boolean;
  /** An external job's: the service that reports its events, and how long each append extends its lease. */
  external?: { publisher: string; leaseMs: number };
}

/** The hash fields an event changes in the snapshot; '' removes a field. */
export type SnapshotPatch = Record<string, string>;

const JSON_FIELDS = new Set(['result', 'error']);
const NUMBER_FIELDS = new Set(['percent', 'attempt', 'lastSeq', 'createdAt', 'updatedAt']);

/** How each event type moves the snapshot; one place, so the HTTP answer and the socket ack always agree. */
export function snapshotPatchFor(body: JobEventBody, at: number): SnapshotPatch {
  const patch: SnapshotPatch = { updatedAt: String(at) };
  switch (body.type) {
    case 'queued':
      return { ...patch, status: 'queued', percent: '0', attempt: '0' };
    case 'started':
      return { ...patch, status: 'active', attempt: String(body.data.attempt) };
    case 'progress': {
      const { percent, stage, message } = body.data;
      return {
        ...patch,
        percent: String(percent),
        ...(stage !== undefined && { stage }),
        ...(message !== undefined && { message }),
      };
    }
    case 'log':
      return patch;
    case 'retrying':
      return { ...patch, status: 'retrying', error: JSON.stringify(body.data.error) };
    case 'completed':
      return {
        ...patch,
        status: 'completed',
        percent: '100',
        error: '',
        result: JSON.stringify(body.data.result ?? null),
      };
    case 'failed':
      return { ...patch, status: 'failed', error: JSON.stringify(body.data.error) };
    case 'cancelled':
      return { ...patch, status: 'cancelled', ...(body.data.reason !== undefined && { message: body.data.reason }) };
  }
}

/** Reads the flat `HGETALL` answer back into a validated record. */
export function decodeJobRecord(flat: readonly string[]): JobRecord | null {
  if (flat.length === 0) return null;
  const fields: Record<string, unknown> = {};
  let owner = '';
  let cancelRequested = false;
  let publisher: string | undefined;
  let leaseMs = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] as string;
    const raw = flat[i + 1] as string;
    if (name === 'owner') owner = raw;
    else if (name === 'cancelRequested') cancelRequested = raw === '1';
    else if (name === 'publisher') publisher = raw;
    else if (name === 'leaseMs') leaseMs = Number(raw);
    else if (name === 'leaseUntil') continue;
    else if (JSON_FIELDS.has(name)) fields[name] = JSON.parse(raw);
    else if (NUMBER_FIELDS.has(name)) fields[name] = Number(raw);
    else fields[name] = raw;
  }
  return {
    snapshot: JobSnapshotSchema.parse(fields),
    owner,
    cancelRequested,
    ...(publisher !== undefined && { external: { publisher, leaseMs } }),
  };
}
