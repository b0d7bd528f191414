/**
 * For a poller that waits for something a listener records: it sleeps until the listener says something
 * changed, or until a bound passes (so a condition that turns true without a notice is still seen).
 */
export class Wakeup {
  private waiters: Array<() => void> = [];

  /** Resolves at the next `notify`, or after `maxMs`, whichever comes first. */
  next(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      setTimeout(resolve, maxMs);
    });
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
