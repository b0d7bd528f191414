import type { BatchSnapshot, JobSnapshot } from '@jobcast/contracts';
import { plainText } from './terminal-text';
import { progressBar, type Terminal } from './watch-view';

/** Clears the terminal's current line and moves to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/** `jobcast jobs`: one job a line under a header, columns aligned; job text without control characters. */
export function describeJobs(jobs: readonly JobSnapshot[]): string {
  if (jobs.length === 0) return 'No jobs.\n';
  const rows = jobs.map((job) => [
    job.id,
    job.type,
    job.status,
    `${Math.floor(job.percent)}%`,
    job.batchId ?? '-',
    job.tags?.join(',') || '-',
    new Date(job.updatedAt).toISOString(),
  ]);
  return alignColumns([['ID', 'TYPE', 'STATUS', 'PERCENT', 'BATCH', 'TAGS', 'UPDATED'], ...rows]).join('\n') + '\n';
}

/** Rows of cells as lines, each column as wide as its widest cell; cells without control characters. */
export function alignColumns(table: readonly (readonly string[])[]): string[] {
  const rows = table.map((row) => row.map(plainText));
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** A batch in one line: how far it is, and how many of its jobs have each status (those with none left out). */
export function describeBatch(batch: BatchSnapshot): string {
  const counts = Object.entries(batch.counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const percent = `${Math.floor(batch.percent)}%`.padStart(4);
  return `${percent}  ${counts}${batch.done ? '  (done)' : ''}`;
}

/**
 * `jobcast batch --watch`: the batch's progress. On a terminal, a bar redrawn in place; otherwise a line
 * each time the batch changes.
 */
export class BatchView {
  private last = '';
  private barShown = false;

  constructor(private readonly out: Terminal) {}

  show(batch: BatchSnapshot): void {
    const line = describeBatch(batch);
    if (line === this.last) return;
    this.last = line;
    if (this.out.isTTY === true) {
      const bar = `${progressBar(batch.percent)} ${line}`;
      this.out.write(CLEAR_LINE + bar.slice(0, Math.max(20, (this.out.columns || 80) - 1)));
      this.barShown = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Leaves the bar where it is, so what follows starts on a line of its own. */
  end(): void {
    if (this.barShown) this.out.write('\n');
    this.barShown = false;
  }
}
