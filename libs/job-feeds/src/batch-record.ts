import {
  BatchSnapshotSchema,
  JOB_STATUSES,
  isTerminalStatus,
  type BatchSnapshot,
  type JobSnapshot,
} from '@jobcast/contracts';

/** A batch as stored: its snapshot, and the owner that only the gateway's access checks see. */
export interface BatchRecord {
  snapshot: BatchSnapshot;
  owner: string;
}

/**
 * A job's share of its batch's percent, in hundredths of a percent: integers, so the batch's sum stays exact
 * however many times it moves. A job that has ended counts 100%, whatever its last progress.
 */
export function batchShareOf(job: Pick<JobSnapshot, 'status' | 'percent'>): number {
  return isTerminalStatus(job.status) ? 10_000 : Math.round(job.percent * 100);
}

/** The record of a new batch: every job counted queued, at 0%. */
export function newBatchFields(owner: string, total: number, createdAt: number): Record<string, string> {
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, status === 'queued' ? total : 0]));
  return {
    owner,
    total: String(total),
    createdAt: String(createdAt),
    updatedAt: String(createdAt),
    percentSum: '0',
    ...Object.fromEntries(Object.entries(counts).map(([status, count]) => [status, String(count)])),
  };
}

/** Reads the record's flat `HGETALL` answer (as Redis or a feed's published change gives it) back. */
export function decodeBatchRecord(batchId: string, flat: readonly string[]): BatchRecord | null {
  if (flat.length === 0) return null;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  const number = (name: string) => Number(fields.get(name) ?? '0');
  const total = number('total');
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, number(status)]));
  const ended = JOB_STATUSES.filter(isTerminalStatus).reduce((sum, status) => sum + number(status), 0);
  return {
    owner: fields.get('owner') ?? '',
    snapshot: BatchSnapshotSchema.parse({
      id: batchId,
      total,
      counts,
      percent: total === 0 ? 0 : Math.round(number('percentSum') / total) / 100,
      done: ended === total,
      createdAt: number('createdAt'),
      updatedAt: number('updatedAt'),
    }),
  };
}
