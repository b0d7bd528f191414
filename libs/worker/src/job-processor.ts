import { ErrorCode } from '@jobcast/contracts';
import type { JobFeedTouches } from '@jobcast/job-feeds';
import { type JobEventLog } from '@jobcast/job-log';
import type { QueuedJobData } from '@jobcast/job-types';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JobEventWriter } from './job-event-writer';
import { JobFinishedElsewhere } from './job-finished-elsewhere';
import { DEFAULT_TIMEOUT_MS, type JobContext, type JobType } from './job-type';
import { ProgressThrottle, toPercent } from './progress-throttle';
import { queuedJobRetryDelayMs } from './queued-job-retry-delay';
import { AbortReason } from './abort-reason';
import type { WorkerMetrics } from './worker-metrics';

export interface JobProcessorOptions {
  progressMaxHz: number;
  /** Caps every attempt's timeout, so no payload holds a worker for days. */
  maxTimeoutMs: number;
}

interface Attempt {
  job: Job<QueuedJobData>;
  type: JobType;
  number: number;
  token: string | undefined;
  writer: JobEventWriter;
}

/**
 * Runs one job type's BullMQ jobs through its handler and logs its lifecycle: `started`, coalesced `progress`, `log`,
 * then `completed`, `retrying`, `failed` or `cancelled`. BullMQ owns retries, backoff, stalled-job recovery
 * and cancellation; this class turns each of them into the events watchers see.
 */
export class JobProcessor {
  constructor(
    private readonly type: JobType,
    private readonly eventLog: JobEventLog,
    private readonly feedTouches: JobFeedTouches,
    private readonly logger: Logger,
    private readonly metrics: WorkerMetrics,
    private readonly options: JobProcessorOptions,
  ) {}

  async process(job: Job<QueuedJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    this.metrics.jobsActive.inc();
    try {
      return await this.processAttempt(job, token, signal);
    } finally {
      this.metrics.jobsActive.dec();
    }
  }

  private async processAttempt(
    job: Job<QueuedJobData>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const { jobId } = job.data;
    const writer = new JobEventWriter(
      jobId,
      this.eventLog,
      this.feedTouches.track(jobId),
      this.logger.child({ jobId }),
      this.metrics,
    );
    const number = Math.max(1, job.attemptsStarted);
    const record = await this.eventLog.getRecord(jobId);
    if (!record) throw new UnrecoverableError(`job ${jobId} has no snapshot (expired?)`);
    if (record.cancelRequested) {
      await writer.append({ type: 'cancelled', data: { reason: 'cancelled before it started' } });
      return undefined;
    }
    // The gateway checked the payload against the registered JSON Schema; zod checks what that cannot say
    // (refinements, transforms) and applies the schema's defaults.
    const parsed = this.type.payload.safeParse(job.data.payload ?? {});
    if (!parsed.success) {
      const message = `Invalid payload for ${this.type.name}: ${parsed.error.message}`;
      await writer.append({
        type: 'failed',
        data: { error: { code: ErrorCode.VALIDATION_FAILED, message }, attempts: number },
      });
      throw new UnrecoverableError(message);
    }
    if (!(await writer.append({ type: 'started', data: { attempt: number } }))) return undefined;
    const attempt: Attempt = { job, type: this.type, number, token, writer };
    return this.run(attempt, parsed.data, signal ?? new AbortController().signal);
  }

  private async run(attempt: Attempt, payload: unknown, workerSignal: AbortSignal): Promise<unknown> {
    const { type, writer } = attempt;
    const timeoutMs = Math.min(timeoutFor(type, payload), this.options.maxTimeoutMs);
    // A timer of our own, not AbortSignal.timeout(): Node may collect a timeout signal that only
    // AbortSignal.any() refers to, and then the attempt never times out (nodejs/node#57736).
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = AbortSignal.any([workerSignal, deadline.signal]);
    const throttle = new ProgressThrottle(1000 / this.options.progressMaxHz, async (progress) => {
      await writer.append({ type: 'progress', data: progress });
    });
    const context: JobContext<unknown> = {
      jobId: attempt.job.data.jobId,
      payload,
      attempt: attempt.number,
      signal,
      progress: (value, details) =>
        throttle.push({ percent: toPercent(value), ...details, ...(typeof value === 'object' && value) }),
      log: (level, message) => {
        // Pending progress goes first, so the log reads in the order the handler wrote it.
        void throttle.flush();
        void writer.append({ type: 'log', data: { level, message } });
      },
    };
    try {
      const result = await untilAborted(type.run(context), signal);
      await throttle.flush();
      await writer.appendOrStop({ type: 'completed', data: { result: result ?? null } });
      return result;
    } catch (error) {
      await throttle.flush();
      if (error instanceof JobFinishedElsewhere) throw new UnrecoverableError(error.message);
      return this.fail(attempt, timeoutMs, signal, workerSignal, error);
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  private async fail(
    attempt: Attempt,
    timeoutMs: number,
    signal: AbortSignal,
    workerSignal: AbortSignal,
    error: unknown,
  ): Promise<never> {
    const { job, writer } = attempt;
    if (workerSignal.aborted && workerSignal.reason === AbortReason.CANCELLED) {
      await writer.append({ type: 'cancelled', data: { reason: 'cancelled by its owner' } });
      throw new UnrecoverableError('cancelled');
    }
    if (workerSignal.aborted && workerSignal.reason === AbortReason.SHUTDOWN) {
      // Hand the job back to the queue without spending an attempt; another worker takes it from here.
      await writer.append({
        type: 'log',
        data: { level: 'warn', message: 'worker shutting down; job returned to the queue' },
      });
      await job.moveToWait(attempt.token);
      throw new WaitingError();
    }
    const timedOut = signal.aborted && !workerSignal.aborted;
    const jobError = timedOut
      ? { code: ErrorCode.JOB_TIMEOUT, message: `attempt ${attempt.number} ran longer than ${timeoutMs} ms` }
      : describeError(error);
    const maxAttempts = job.opts.attempts ?? 1;
    if (job.attemptsMade + 1 < maxAttempts) {
      const delayMs = queuedJobRetryDelayMs(job.opts.backoff, job.attemptsMade + 1);
      await writer.appendOrStop({
        type: 'retrying',
        data: { attempt: attempt.number + 1, error: { message: jobError.message }, delayMs },
      });
      throw new Error(jobError.message);
    }
    await writer.appendOrStop({ type: 'failed', data: { error: jobError, attempts: attempt.number } });
    throw new UnrecoverableError(jobError.message);
  }
}

function timeoutFor(type: JobType, payload: unknown): number {
  const timeout = type.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return typeof timeout === 'function' ? timeout(payload) : timeout;
}

/** Settles with the handler, or rejects once the signal aborts, even if the handler ignores it. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describeError(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { ...(typeof code === 'string' && { code }), message: error.message };
  }
  return { code: ErrorCode.INTERNAL, message: String(error) };
}
