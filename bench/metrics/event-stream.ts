/** The integrity of one watcher's view of one job, judged by seq alone. */
export interface StreamIntegrity {
  streams: number;
  /** Events received, backlog included. */
  received: number;
  /** Seqs never received and not superseded by a conflated progress event. */
  missing: number;
  duplicates: number;
  /** Seqs that arrived after a higher one. */
  outOfOrder: number;
  /** Progress seqs a conflated event (`fromSeq`) said were superseded: skipped on purpose, not lost. */
  superseded: number;
  /** Streams whose terminal event never came. */
  unfinished: number;
}

export const EMPTY_INTEGRITY: StreamIntegrity = {
  streams: 0,
  received: 0,
  missing: 0,
  duplicates: 0,
  outOfOrder: 0,
  superseded: 0,
  unfinished: 0,
};

export function addIntegrity(a: StreamIntegrity, b: StreamIntegrity): StreamIntegrity {
  return {
    streams: a.streams + b.streams,
    received: a.received + b.received,
    missing: a.missing + b.missing,
    duplicates: a.duplicates + b.duplicates,
    outOfOrder: a.outOfOrder + b.outOfOrder,
    superseded: a.superseded + b.superseded,
    unfinished: a.unfinished + b.unfinished,
  };
}

/** A time window [startAt, endAt) in ms since epoch, the same for every process of a measurement. */
export interface MeasureWindow {
  startAt: number;
  endAt: number;
}

export function inWindow(window: MeasureWindow | undefined, time: number): boolean {
  return window !== undefined && time >= window.startAt && time < window.endAt;
}

/**
 * One watcher's events of one job. Seqs must come 1, 2, 3 … with none missing or repeated; a conflated
 * progress event (`fromSeq`) accounts for the seqs it supersedes. It also brackets the seqs published
 * (`at`) inside the measurement window, which is what was offered to this watcher there.
 */
export class EventStream {
  private lastSeq = 0;
  private received = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private superseded = 0;
  /** Seqs skipped over and not (yet) received: normally empty. */
  private readonly gaps = new Set<number>();
  private firstOffered: number | undefined;
  private lastOffered: number | undefined;
  finished = false;

  constructor(readonly jobId: string) {}

  accept(seq: number, fromSeq: number | undefined): void {
    this.received += 1;
    if (seq > this.lastSeq) {
      const supersededFrom = fromSeq === undefined ? seq : Math.max(fromSeq, this.lastSeq + 1);
      for (let skipped = this.lastSeq + 1; skipped < supersededFrom; skipped += 1) this.gaps.add(skipped);
      this.superseded += seq - supersededFrom;
      this.lastSeq = seq;
    } else if (this.gaps.delete(seq)) {
      this.outOfOrder += 1;
    } else {
      this.duplicates += 1;
    }
  }

  /** Notes a seq published inside the measurement window. */
  offered(seq: number): void {
    this.firstOffered = Math.min(this.firstOffered ?? seq, seq);
    this.lastOffered = Math.max(this.lastOffered ?? seq, seq);
  }

  /** Events published to this watcher inside the window, lost ones included (they lie between). */
  get offeredInWindow(): number {
    return this.firstOffered === undefined || this.lastOffered === undefined
      ? 0
      : this.lastOffered - this.firstOffered + 1;
  }

  integrity(): StreamIntegrity {
    return {
      streams: 1,
      received: this.received,
      missing: this.gaps.size,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      superseded: this.superseded,
      unfinished: this.finished ? 0 : 1,
    };
  }
}
