import { JobSnapshotSchema, snapshotChangeFor, type JobEventBody, type JobSnapshot } from '@jobcast/contracts';

/** A job's snapshot as stored, with the owner that only the gateway's access checks see. */
export interface JobRecord {
  snapshot: JobSnapshot;
  owner: string;
  /** Set by a cancel request; a worker that picks the job up afterwards cancels instead of running it. */
  cancelRequested: boolean;
  /** An external job's: the service that reports its events, and how long each append extends its lease. */
  external?: { publisher: string; leaseMs: number };
}

/** The snapshot hash's fields an event sets, with their stored values, and those it removes. */
export interface SnapshotPatch {
  set: Record<string, string>;
  remove: string[];
}

const JSON_FIELDS = new Set(['result', 'error', 'tags']);
const NUMBER_FIELDS = new Set(['percent', 'attempt', 'lastSeq', 'createdAt', 'updatedAt']);

/**
 * The snapshot fields a job gets when it is created and keeps for good (no event's change names them): its
 * tags, when it has any, and its batch.
 */
export function creationFields(job: { tags?: readonly string[]; batchId?: string }): Record<string, string> {
  return {
    ...(job.tags !== undefined && job.tags.length > 0 && { tags: encodeField('tags', job.tags) }),
    ...(job.batchId !== undefined && { batchId: job.batchId }),
  };
}

/** The event's snapshot change (snapshotChangeFor) as the hash stores it. */
export function snapshotPatchFor(body: JobEventBody, at: number): SnapshotPatch {
  const patch: SnapshotPatch = { set: {}, remove: [] };
  for (const [field, value] of Object.entries(snapshotChangeFor(body, at))) {
    if (value === undefined) patch.remove.push(field);
    else patch.set[field] = encodeField(field, value);
  }
  return patch;
}

/** A field's value as the hash stores it: JSON for the result, the error and the tags, plain text for the rest. */
function encodeField(field: string, value: unknown): string {
  return JSON_FIELDS.has(field) ? JSON.stringify(value) : String(value);
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
