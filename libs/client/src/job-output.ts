import type { JobEvent, OutputData } from '@jobcast/contracts/protocol';
import { ClientErrorCode, JobcastError } from './jobcast-error';
import { callListener } from './listeners';

/** One output stream of a watched job: its text, byte for byte what the job's handler wrote. */
export interface JobOutput extends AsyncIterable<string> {
  readonly key: string;
  /** The text so far (from the watch's `afterSeq` on, when it has one). */
  readonly text: string;
  /** Each piece of text as it comes, once `text` includes it. Returns a function that removes the listener. */
  onChunk(listener: (chunk: string) => void): () => void;
  /**
   * When the gateway reset the watch (its log was trimmed, or is behind what this watch saw): `text` was
   * rebuilt from what the log holds, and is passed here. Returns a function that removes the listener.
   */
  onReset(listener: (text: string) => void): () => void;
  /**
   * Yields the text so far, then each piece as it comes, until the job ends. Throws as the watch's `done`
   * rejects (but ends quietly when the watch is closed), and with `OUTPUT_RESET` when a reset changed text
   * it already yielded.
   */
  [Symbol.asyncIterator](): AsyncIterator<string>;
}

/** What an output stream needs from its watch: how it ends. */
export interface OutputSource {
  /** Settles when the watch ends: with its terminal event, or rejected with why it cannot get it. */
  readonly done: Promise<JobEvent>;
}

/** A job's output stream as a watch rebuilds it from `output` events. */
export class OutputText implements JobOutput {
  private current = '';
  private readonly chunkListeners = new Set<(chunk: string) => void>();
  private readonly resetListeners = new Set<(text: string) => void>();

  constructor(
    readonly key: string,
    private readonly source: OutputSource,
  ) {}

  get text(): string {
    return this.current;
  }

  onChunk(listener: (chunk: string) => void): () => void {
    this.chunkListeners.add(listener);
    return () => this.chunkListeners.delete(listener);
  }

  onReset(listener: (text: string) => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** An `output` event the watch delivered next. */
  append(data: OutputData): void {
    this.current += data.text;
    for (const listener of [...this.chunkListeners]) callListener(listener, data.text);
  }

  /** The text as rebuilt after a reset. */
  replace(text: string): void {
    this.current = text;
    for (const listener of [...this.resetListeners]) callListener(listener, text);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string, void, undefined> {
    let yielded = this.current;
    const queue: string[] = yielded === '' ? [] : [yielded];
    let reset: JobcastError | undefined;
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const stopChunks = this.onChunk((chunk) => {
      queue.push(chunk);
      wake?.();
    });
    const stopResets = this.onReset((text) => {
      const promised = yielded + queue.join('');
      if (text.startsWith(promised)) queue.push(text.slice(promised.length));
      else reset = new JobcastError(ClientErrorCode.OUTPUT_RESET, `Output ${this.key} was rebuilt after a reset`);
      wake?.();
    });
    this.source.done.then(
      () => (ended = true),
      (error: Error) => {
        ended = true;
        failure = error;
      },
    );
    void this.source.done.finally(() => wake?.()).catch(() => undefined);
    try {
      for (;;) {
        if (reset) throw reset;
        const chunk = queue.shift();
        if (chunk !== undefined) {
          if (chunk === '') continue;
          yielded += chunk;
          yield chunk;
        } else if (ended) {
          if (failure && !(failure instanceof JobcastError && failure.code === ClientErrorCode.CLOSED)) throw failure;
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    } finally {
      stopChunks();
      stopResets();
    }
  }
}
