import {
  ErrorCode,
  OUTPUT_EVENT_MAX_CHARS,
  OUTPUT_KEY_PATTERN,
  OUTPUT_MAX_STREAMS,
  outputBytes,
} from '@jobcast/contracts';
import type { JobLogAppendError } from '@jobcast/job-log';
import type { OutputStream } from './job-type';

/**
 * Why a handler's write was refused: OUTPUT_TOO_LARGE, JOB_FINISHED, VALIDATION_FAILED (a bad key or text), or
 * SERVICE_UNAVAILABLE (the job log could not take earlier text: the stream would have a hole from there on).
 */
export class OutputError extends Error {
  constructor(
    readonly code:
      | typeof ErrorCode.OUTPUT_TOO_LARGE
      | typeof ErrorCode.JOB_FINISHED
      | typeof ErrorCode.VALIDATION_FAILED
      | typeof ErrorCode.SERVICE_UNAVAILABLE,
    message: string,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}

/** Logs a piece of a stream; resolves with the log's refusal, if any. */
export type AppendOutput = (key: string, text: string) => Promise<JobLogAppendError['reason'] | undefined>;

export interface JobOutputOptions {
  /** Pending text is logged at most this often (OUTPUT_FLUSH_MS). */
  flushMs: number;
  /** The job's bound over all its streams, in UTF-8 bytes (OUTPUT_MAX_BYTES). */
  maxBytes: number;
  /** What earlier attempts of the job already wrote, in bytes. */
  writtenBytes: number;
}

/**
 * The output streams of one attempt of a job. Writes are concatenated here and logged as `output` events at
 * most every `flushMs`, and whenever the job logs anything else (`flush()`, which the processor calls first),
 * so that the streams read in order with the job's other events. Nothing is dropped: a write either throws at
 * once (past the bound, after the end) or is logged.
 */
export class JobOutput {
  private readonly streams = new Map<string, OutputStream>();
  /** Text written and not yet logged, in the order written; consecutive writes to one key are merged. */
  private pending: Array<{ key: string; text: string }> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private written: number;
  /** Set when no more writes are taken: the job ended, or the log refused a write. */
  private refusal: OutputError | undefined;

  constructor(
    private readonly append: AppendOutput,
    private readonly options: JobOutputOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.written = options.writtenBytes;
  }

  /** The stream named `key`, the same object for every call with that key. */
  stream(key: string): OutputStream {
    if (typeof key !== 'string' || !OUTPUT_KEY_PATTERN.test(key)) {
      throw new OutputError(
        ErrorCode.VALIDATION_FAILED,
        `Output stream key ${JSON.stringify(key)} must be 1 to 64 of A-Z a-z 0-9 _ . : -, starting with a letter or digit`,
      );
    }
    let stream = this.streams.get(key);
    if (!stream && this.streams.size >= OUTPUT_MAX_STREAMS) {
      throw new OutputError(ErrorCode.OUTPUT_TOO_LARGE, `A job writes at most ${OUTPUT_MAX_STREAMS} output streams`);
    }
    if (!stream) {
      stream = this.createStream(key);
      this.streams.set(key, stream);
    }
    return stream;
  }

  /**
   * Logs the pending text now, in order, before anything the caller logs next (the appends queue in the order
   * they are made), and resolves once it is logged. A trailing half of a surrogate pair waits for its other
   * half unless `final`: an event then never ends inside a character, for readers that cannot join halves.
   */
  flush(final = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushAt = this.now();
    const pieces = this.pending;
    this.pending = [];
    const last = pieces.at(-1);
    if (!final && last && isHighSurrogate(last.text.charCodeAt(last.text.length - 1))) {
      this.pending.push({ key: last.key, text: last.text.slice(-1) });
      last.text = last.text.slice(0, -1);
      this.schedule();
    }
    const appends: Array<Promise<void>> = [];
    for (const { key, text } of pieces) {
      for (const part of split(text)) {
        appends.push(
          this.append(key, part).then(
            (reason) => this.refused(reason),
            (error: Error) => this.failed(error),
          ),
        );
      }
    }
    return Promise.all(appends).then(() => undefined);
  }

  /** The job is ending: logs what is pending, and every later write throws JOB_FINISHED. */
  close(): Promise<void> {
    this.refusal ??= new OutputError(
      ErrorCode.JOB_FINISHED,
      'The job has ended: its output streams take no more writes',
    );
    return this.flush(true);
  }

  private createStream(key: string): OutputStream {
    let ended = false;
    const write = (text: string): void => {
      if (this.refusal) throw this.refusal;
      if (ended) throw new OutputError(ErrorCode.VALIDATION_FAILED, `Output stream ${key} has ended`);
      if (typeof text !== 'string') throw new OutputError(ErrorCode.VALIDATION_FAILED, 'Output text must be a string');
      if (text.length === 0) return;
      const bytes = outputBytes(text);
      if (this.written + bytes > this.options.maxBytes) {
        throw new OutputError(
          ErrorCode.OUTPUT_TOO_LARGE,
          `Writing ${bytes} bytes to ${key} would take the job's output past ${this.options.maxBytes} bytes`,
        );
      }
      this.written += bytes;
      const last = this.pending.at(-1);
      if (last?.key === key) last.text += text;
      else this.pending.push({ key, text });
      this.schedule();
    };
    const end = (): void => {
      ended = true;
    };
    return {
      write,
      end,
      pipe: async (source, { end: endAfter = true } = {}) => {
        for await (const text of source) write(text);
        if (endAfter) end();
      },
    };
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlushAt + this.options.flushMs - this.now());
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  /** Redis failed the append (it gave up retrying): later text cannot follow on from it. */
  private failed(error: Error): void {
    this.refusal ??= new OutputError(
      ErrorCode.SERVICE_UNAVAILABLE,
      `The job log could not take the job's output (${error.message}): nothing more is written`,
    );
  }

  private refused(reason: JobLogAppendError['reason'] | undefined): void {
    if (reason === undefined || this.refusal) return;
    this.refusal =
      reason === 'OUTPUT_TOO_LARGE'
        ? new OutputError(ErrorCode.OUTPUT_TOO_LARGE, "The job's output reached OUTPUT_MAX_BYTES")
        : new OutputError(ErrorCode.JOB_FINISHED, `The job log refused its output: ${reason}`);
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** `text` in pieces of at most OUTPUT_EVENT_MAX_CHARS, none ending inside a surrogate pair. */
function split(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + OUTPUT_EVENT_MAX_CHARS);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}
