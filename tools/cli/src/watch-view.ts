import type { ConnectionState } from '@jobcast/client';
import type { DisconnectNotice, JobEvent, JobSnapshot } from '@jobcast/contracts';
import { formatDuration, ProgressRate } from './progress-rate';
import { plainText, terminalJson } from './terminal-text';

/** Where the view writes: process.stdout, or a fake in tests. */
export interface Terminal {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const BAR_WIDTH = 24;
/** Clears the terminal's current line and moves to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/**
 * What `jobcast watch` shows. On a terminal: a progress bar redrawn in place (bar, percent, stage,
 * message, ETA), with log and lifecycle lines printed above it. Otherwise (a pipe, a file, CI): one line
 * per event, nothing redrawn. Job text goes out without control characters (see terminal-text.ts); the
 * view's own redrawing sequences are the only ones it writes.
 */
export class WatchView {
  private readonly rate = new ProgressRate();
  private readonly redraw: boolean;
  private barShown = false;
  private lastBar = '';

  constructor(private readonly out: Terminal) {
    this.redraw = out.isTTY === true;
  }

  /** An event, with the job's snapshot after it. */
  event(event: JobEvent, snapshot: JobSnapshot | undefined): void {
    if (event.type === 'progress') {
      this.rate.add(event.at, event.data.percent);
      const line = this.progressLine(event.data.percent, snapshot);
      if (this.redraw) this.drawBar(event.data.percent, line);
      else this.line(`progress ${line}`);
      return;
    }
    if (event.type === 'started' || event.type === 'retrying') this.rate.reset();
    this.line(describeEvent(event));
    if (event.type === 'completed' && this.redraw) this.drawBar(100, this.progressLine(100, snapshot));
  }

  /** Connection changes worth telling: a drop and the reconnect after it. */
  connection(state: ConnectionState, url: string | undefined, notice?: DisconnectNotice): void {
    if (state === 'reconnecting')
      this.line(`reconnecting${url ? ` to ${url}` : ''}${notice ? ` (${notice.reason}: ${notice.message})` : ''}…`);
    else if (state === 'connected' && url) this.line(`connected to ${url}`);
  }

  /** The job's outcome: the result or the error, as JSON, after the bar. */
  finish(terminal: JobEvent): void {
    this.endBar();
    if (terminal.type === 'completed') this.out.write(`${terminalJson(terminal.data.result ?? null)}\n`);
    else if (terminal.type === 'failed') this.out.write(`${terminalJson({ error: terminal.data.error })}\n`);
  }

  /** Leaves the bar where it is, so what follows starts on a line of its own. */
  endBar(): void {
    if (this.barShown) this.out.write('\n');
    this.barShown = false;
  }

  /** Prints one line above the bar; a line break in job text cannot start a line that looks like ours. */
  private line(text: string): void {
    if (this.barShown) this.out.write(CLEAR_LINE);
    this.out.write(`${plainText(text)}\n`);
    if (this.barShown) this.out.write(this.lastBar);
  }

  private drawBar(percent: number, line: string): void {
    const bar = `${progressBar(percent)} ${plainText(line)}`;
    // One character short of the width, so the line never wraps (a wrapped line cannot be redrawn in place).
    this.lastBar = bar.slice(0, Math.max(20, (this.out.columns || 80) - 1));
    this.out.write(CLEAR_LINE + this.lastBar);
    this.barShown = true;
  }

  private progressLine(percent: number, snapshot: JobSnapshot | undefined): string {
    const remaining = percent < 100 ? this.rate.remainingMs() : undefined;
    return [
      `${Math.floor(percent)}%`.padStart(4),
      snapshot?.stage,
      snapshot?.message,
      remaining !== undefined ? `ETA ${formatDuration(remaining)}` : undefined,
    ]
      .filter(Boolean)
      .join('  ')
      .trimStart();
  }
}

/** A bar of BAR_WIDTH cells, filled to `percent`: `jobcast watch`'s, and `jobcast batch --watch`'s. */
export function progressBar(percent: number): string {
  const filled = Math.min(BAR_WIDTH, Math.max(0, Math.floor((percent / 100) * BAR_WIDTH)));
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

/** A non-progress event as one line. */
export function describeEvent(event: JobEvent): string {
  switch (event.type) {
    case 'queued':
      return 'queued';
    case 'started':
      return `started (attempt ${event.data.attempt})`;
    case 'log':
      return `[${event.data.level}] ${event.data.message}`;
    case 'retrying':
      return `retrying: attempt ${event.data.attempt} in ${event.data.delayMs} ms after: ${event.data.error.message}`;
    case 'completed':
      return 'completed';
    case 'failed': {
      const { code, message } = event.data.error;
      return `failed after ${event.data.attempts} attempt(s): ${code ? `${code}: ` : ''}${message}`;
    }
    case 'cancelled':
      return `cancelled${event.data.reason ? `: ${event.data.reason}` : ''}`;
    case 'progress':
      return `progress ${event.data.percent}%`;
  }
}
