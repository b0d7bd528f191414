import type { z } from 'zod';

/**
 * Levels of a job's `log` events. Written out rather than imported, so that this package's type declarations
 * stand alone; job-type.spec.ts checks that it is the wire contract's LogLevel.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ProgressDetails {
  stage?: string;
  message?: string;
}

/**
 * A job's output stream: text that watchers get as it comes, byte for byte (an LLM's answer, a build log).
 * Writes are cheap: they are concatenated and logged at most every OUTPUT_FLUSH_MS.
 */
export interface OutputStream {
  /**
   * Appends `text`. Throws (an error with `code`) when it would take the job's output past OUTPUT_MAX_BYTES
   * (OUTPUT_TOO_LARGE: nothing of it is written), after `end()`, or once the job has ended (JOB_FINISHED).
   */
  write(text: string): void;
  /** No more writes to this stream. */
  end(): void;
  /**
   * Writes each string of `source` as it comes (an LLM SDK's text stream pipes straight in), then ends the
   * stream unless `end: false`. Rejects with the source's error, after what it gave before is written.
   */
  pipe(source: AsyncIterable<string> | Iterable<string>, options?: { end?: boolean }): Promise<void>;
}

/** What a handler's `run` gets: its validated payload and the means to report and to stop. */
export interface JobContext<Payload> {
  readonly jobId: string;
  readonly payload: Payload;
  /** 1 on the first attempt, 2 on the first retry, and so on. */
  readonly attempt: number;
  /** Aborted when the job is cancelled, times out, or the worker must give it up. */
  readonly signal: AbortSignal;
  /** Reports progress as a percent or as `{current, total}`; cheap to call often, it is coalesced. */
  progress: (value: number | { current: number; total: number }, details?: ProgressDetails) => void;
  log: (level: LogLevel, message: string) => void;
  /**
   * The output stream named `key` (1 to 64 of `A-Z a-z 0-9 _ . : -`, starting with a letter or digit). A
   * stream belongs to the job: a retry's writes go on after what earlier attempts wrote.
   */
  stream: (key: string) => OutputStream;
}

/** A job type: one file that names it, describes its payload and runs it. */
export interface JobType<Schema extends z.ZodType = z.ZodType, Result = unknown> {
  /** Lower-case words joined by `.`, `_` or `-`, at most 64 characters: `video.transcode`. */
  readonly name: string;
  /** Shown in `GET /job-types`, the demo page and `jobcast types`. */
  readonly description: string;
  /** Checked by the gateways at submit (as JSON Schema) and by the worker before `run` (with zod itself). */
  readonly payload: Schema;
  /** Attempts when the submitter does not say. @default 1 */
  readonly attempts?: number;
  /** First retry delay; each later one doubles it. @default 1000 */
  readonly backoffMs?: number;
  /** An attempt that runs longer fails with JOB_TIMEOUT; may depend on the payload. @default 600000 */
  readonly timeoutMs?: number | ((payload: z.infer<Schema>) => number);
  run(context: JobContext<z.infer<Schema>>): Promise<Result>;
}

export const DEFAULT_ATTEMPTS = 1;
export const DEFAULT_BACKOFF_MS = 1000;
export const DEFAULT_TIMEOUT_MS = 600_000;

export function defineJobType<Schema extends z.ZodType, Result>(
  type: JobType<Schema, Result>,
): JobType<Schema, Result> {
  return type;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Lets timers, I/O and cancellation run between chunks of CPU work. */
export function yieldToEventLoop(signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve) => setImmediate(resolve));
}
