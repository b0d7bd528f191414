import type { BatchSnapshot, JobSnapshot } from '@jobcast/contracts';
import { alignColumns, describeBatch } from './batch-view';
import { plainText } from './terminal-text';
import type { Terminal } from './watch-view';

/** `jobs --watch --status S --type T`: applied here, since a feed carries every job of its shape. */
export interface FeedFilter {
  status?: string;
  type?: string;
}

/** A terminal that knows its height too. */
export interface TableTerminal extends Terminal {
  readonly rows?: number;
}

/** Moves the cursor to the start of the line `count` lines up. */
const lineUp = (count: number): string => `\x1b[${count}F`;
/** Clears the current line; clears from the cursor to the end of the screen. */
const CLEAR_LINE = '\x1b[2K';
const CLEAR_BELOW = '\x1b[J';

export function matchesFilter(job: JobSnapshot, filter: FeedFilter): boolean {
  return (
    (filter.status === undefined || job.status === filter.status) &&
    (filter.type === undefined || job.type === filter.type)
  );
}

/** The jobs that pass the filter, the most recently updated first (ties by id, so rows do not swap). */
export function newestFirst(jobs: Iterable<JobSnapshot>, filter: FeedFilter): JobSnapshot[] {
  return [...jobs]
    .filter((job) => matchesFilter(job, filter))
    .sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
}

/** What the job is doing, in its own words: stage and message. */
function activity(job: JobSnapshot): string {
  return [job.stage, job.message].filter(Boolean).join(': ');
}

/** One job's state as one line: `<id> <type> <status> <percent>%`, then its stage and message if any. */
export function describeChange(job: JobSnapshot): string {
  const line = `${job.id} ${job.type} ${job.status} ${Math.floor(job.percent)}%`;
  const doing = activity(job);
  return plainText(doing ? `${line}  ${doing}` : line);
}

/**
 * The live table: a title line (how many jobs, the batch's progress), then the newest jobs that fit in
 * `height` lines (one left free, so the screen never scrolls), each line cut to `width - 1` (a wrapped
 * line cannot be redrawn in place).
 */
export function feedTable(
  jobs: readonly JobSnapshot[],
  batch: BatchSnapshot | undefined,
  height: number,
  width: number,
): string[] {
  const fitting = Math.max(0, height - 3);
  const shown = jobs.slice(0, fitting);
  const title = [
    `${jobs.length} job${jobs.length === 1 ? '' : 's'}`,
    shown.length < jobs.length ? `(newest ${shown.length} shown)` : undefined,
    batch ? `batch ${batch.id}: ${describeBatch(batch).trim()}` : undefined,
  ]
    .filter(Boolean)
    .join('  ');
  const rows = shown.map((job) => [
    job.id,
    job.type,
    job.status,
    `${Math.floor(job.percent)}%`,
    new Date(job.updatedAt).toISOString(),
    // Last, as the one of any length: cutting the line to the width cuts only it.
    activity(job) || '-',
  ]);
  const table = alignColumns([['ID', 'TYPE', 'STATUS', 'PERCENT', 'UPDATED', 'STAGE/MESSAGE'], ...rows]);
  return [plainText(title), ...table].map((line) => line.slice(0, Math.max(20, width - 1)));
}

/**
 * What `jobcast jobs --watch` shows. On a terminal: the table, redrawn in place like `top` at each change.
 * Otherwise (a pipe, a file, CI): a line per job each time its line would read differently.
 */
export class FeedView {
  private drawn = 0;
  /** Off a terminal: the last line printed for each job, so an unchanged one is not printed again. */
  private readonly printed = new Map<string, string>();

  constructor(
    private readonly out: TableTerminal,
    private readonly filter: FeedFilter,
  ) {}

  /** The jobs an update changed, with every job of the feed after it. */
  show(changed: readonly JobSnapshot[], jobs: ReadonlyMap<string, JobSnapshot>, batch?: BatchSnapshot): void {
    if (this.out.isTTY === true) {
      const lines = feedTable(
        newestFirst(jobs.values(), this.filter),
        batch,
        this.out.rows || 24,
        this.out.columns || 80,
      );
      const back = this.drawn > 0 ? lineUp(this.drawn) : '';
      this.out.write(back + lines.map((line) => `${CLEAR_LINE}${line}\n`).join('') + CLEAR_BELOW);
      this.drawn = lines.length;
      return;
    }
    for (const job of changed) {
      if (!matchesFilter(job, this.filter)) continue;
      const line = describeChange(job);
      if (this.printed.get(job.id) === line) continue;
      this.printed.set(job.id, line);
      this.out.write(`${line}\n`);
    }
  }

  /** The feed started over: every job is printed again as it comes. */
  reset(): void {
    this.printed.clear();
  }
}
