import { isTerminalStatus, type JobSnapshot } from '@jobcast/contracts';

interface PacedJob {
  /** The newest snapshot offered, touched or not. */
  latest: JobSnapshot;
  /** When its feeds were last touched. */
  touchedAt: number;
  /** A progress snapshot held back, to touch at `touchedAt + interval` unless a newer one comes first. */
  pending?: JobSnapshot;
}

/**
 * Decides when a job's feeds are touched (JobFeeds.touch), so a feed costs at most one write per visible
 * change of a job: a status change at once; progress at most `maxHz` times a second per job, the newest
 * winning, held back ones touched when their time comes (a trailing touch, so the last progress always
 * arrives); a terminal state at once, never conflated away. Pure: the caller owns the clock and the timer.
 */
export class FeedTouchPacer {
  private readonly jobs = new Map<string, PacedJob>();
  private readonly intervalMs: number;

  constructor(maxHz: number) {
    this.intervalMs = 1000 / maxHz;
  }

  /**
   * A job changed: answers the snapshot to touch now, if any. One no newer than what was offered before
   * (an event that arrives late) is dropped: it would only repeat or go back.
   */
  offer(snapshot: JobSnapshot, now: number): JobSnapshot | undefined {
    const paced = this.jobs.get(snapshot.id);
    if (paced && snapshot.lastSeq <= paced.latest.lastSeq) return undefined;
    const statusChanged = !paced || paced.latest.status !== snapshot.status;
    if (statusChanged || now - paced.touchedAt >= this.intervalMs) {
      // Whatever was held back is older than this snapshot, which carries everything it did.
      if (isTerminalStatus(snapshot.status)) this.jobs.delete(snapshot.id);
      else this.jobs.set(snapshot.id, { latest: snapshot, touchedAt: now });
      return snapshot;
    }
    paced.latest = snapshot;
    paced.pending = snapshot;
    return undefined;
  }

  /** When the earliest held-back snapshot is due, or undefined when none is: when to call `due` next. */
  nextDueAt(): number | undefined {
    let earliest: number | undefined;
    for (const paced of this.jobs.values()) {
      if (paced.pending) earliest = Math.min(earliest ?? Infinity, paced.touchedAt + this.intervalMs);
    }
    return earliest;
  }

  /**
   * The held-back snapshots whose time has come, to touch now. Also forgets jobs quiet for an interval, so
   * jobs that stop without a terminal state (their worker died) leave nothing behind: the next change of
   * such a job is touched at once, which is never too early, an interval having passed.
   */
  due(now: number): JobSnapshot[] {
    const due: JobSnapshot[] = [];
    for (const [jobId, paced] of this.jobs) {
      if (now - paced.touchedAt < this.intervalMs) continue;
      if (paced.pending) {
        due.push(paced.pending);
        paced.pending = undefined;
        paced.touchedAt = now;
      } else {
        this.jobs.delete(jobId);
      }
    }
    return due;
  }

  /** Jobs it keeps state for: a gauge, and what tests check stays bounded. */
  get size(): number {
    return this.jobs.size;
  }
}
