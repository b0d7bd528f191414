import type { ProgressData } from '@jobcast/contracts';

/**
 * Coalesces a job's progress to at most one publish per `minIntervalMs`. The newest value always wins and
 * is never dropped: it goes out when the interval allows, or on `flush()`, which lifecycle events await
 * first so that the last progress a watcher sees before `completed` is the final one.
 */
export class ProgressThrottle {
  private latest: ProgressData | undefined;
  /**
   * Starts at creation, not at minus infinity: a burst right after `started` then yields one event at the
   * interval and one on flush, which keeps a job within PROGRESS_MAX_HZ × duration + 1 events.
   */
  private lastPublishAt: number;
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly minIntervalMs: number,
    private readonly publish: (progress: ProgressData) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    this.lastPublishAt = now();
  }

  push(progress: ProgressData): void {
    this.latest = progress;
    if (this.timer) return;
    const wait = this.lastPublishAt + this.minIntervalMs - this.now();
    if (wait <= 0) this.publishLatest();
    else this.timer = setTimeout(() => this.publishLatest(), wait);
  }

  /** Publishes the pending value now and resolves once every publish so far is done. */
  async flush(): Promise<void> {
    this.publishLatest();
    await this.publishing;
  }

  private publishLatest(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const progress = this.latest;
    if (!progress) return;
    this.latest = undefined;
    this.lastPublishAt = this.now();
    // `publish` keeps the order itself (JobEventWriter); waiting on the newest publish covers the older ones.
    this.publishing = this.publish(progress).catch(() => undefined);
  }
}

export function toPercent(value: number | { current: number; total: number }): number {
  const percent = typeof value === 'number' ? value : value.total > 0 ? (value.current / value.total) * 100 : 0;
  return Math.min(100, Math.max(0, Math.round(percent * 100) / 100));
}
