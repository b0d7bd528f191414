/**
 * Estimates the time a job has left from how fast its percent rose over the last `windowMs` of progress,
 * by the events' own timestamps (so a replayed backlog gives the same estimate as live events).
 */
export class ProgressRate {
  private samples: Array<{ at: number; percent: number }> = [];

  constructor(private readonly windowMs = 10_000) {}

  add(at: number, percent: number): void {
    const last = this.samples.at(-1);
    // Progress going back is a new attempt starting over: its rate starts over too.
    if (last && percent < last.percent) this.reset();
    this.samples.push({ at, percent });
    // Keep the newest sample older than the window, so the rate spans the whole window.
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - this.windowMs) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  /** Milliseconds until 100% at the recent rate; undefined until the job has made measurable progress. */
  remainingMs(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at || last.percent <= first.percent) return undefined;
    const perMs = (last.percent - first.percent) / (last.at - first.at);
    return Math.max(0, (100 - last.percent) / perMs);
  }
}

/** "0.8s", "12s", "3m 05s", "1h 02m". */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
