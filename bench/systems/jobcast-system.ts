import { LocalStack } from '@jobcast/local-stack';
import type { JobSnapshot } from '@jobcast/contracts';
import { SignJWT } from 'jose';
import type { MeasuredProcess } from '../metrics/proc-stats';
import { mapConcurrently } from '../pacing';
import type { RunContext } from '../run-context';
import { measuredProcess, stepsFor, type JobTraffic, type StreamingSystem } from './streaming-system';

export interface JobcastTopology {
  gateways: number;
  /** 0 leaves submitted jobs queued: silent jobs for idle watchers. */
  workers: number;
  /** Settings over the bench's own (S5: the worker's defaults for progress, and its OUTPUT_FLUSH_MS). */
  env?: NodeJS.ProcessEnv;
}

export const JOBCAST_LABEL = 'Jobcast';
export const JOBCAST_PLAIN_LABEL = 'Jobcast, plain WebSocket';

/** Requests in flight while submitting or cancelling a batch of jobs. */
const HTTP_CONCURRENCY = 16;

/**
 * Jobcast as `npm start` runs it (tools/local-stack: its own redis-server with AOF, gateways, workers),
 * tuned so the bench measures delivery rather than the limits that protect a public deployment: the
 * worker logs every progress event (PROGRESS_MAX_HZ 1000) and runs every job at once, and rate and
 * per-IP limits are out of the way of a load generator on one address. Logging stays at the default,
 * `info` (local-stack reads it to see that a worker is ready): nothing is logged per pushed event, and one
 * line per HTTP request, which polling pays for as it would in a default deployment.
 */
export class JobcastSystem implements StreamingSystem {
  readonly label = JOBCAST_LABEL;
  private openIds: string[] = [];

  private constructor(
    private readonly stack: LocalStack,
    readonly token: string,
    /** No worker runs: submitted jobs stay queued, silent. */
    private readonly silent: boolean,
  ) {}

  static async start(context: RunContext, topology: JobcastTopology, name: string): Promise<JobcastSystem> {
    const stack = new LocalStack({
      port: 0,
      gateways: topology.gateways,
      // Job types are registered by their workers: one starts even for silent jobs, to register demo.steps.
      workers: Math.max(1, topology.workers),
      stateDir: context.stateDir(name),
      env: {
        ...context.probeEnv,
        JWT_SECRET: context.jwtSecret,
        LOG_LEVEL: 'info',
        PROGRESS_MAX_HZ: '1000',
        WORKER_CONCURRENCY: '1000',
        SUBMIT_RATE_PER_MINUTE: '1000000',
        MAX_ACTIVE_JOBS_PER_USER: '1000000',
        MAX_CONNECTIONS_PER_IP: '1000000',
        ...topology.env,
      },
    });
    try {
      await stack.start();
      if (topology.workers === 0) await stack.workers[0]?.stop();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bench')
      .setExpirationTime('6h')
      .sign(new TextEncoder().encode(context.jwtSecret));
    return new JobcastSystem(stack, token, topology.workers === 0);
  }

  get socketUrls(): string[] {
    return this.stack.gatewayUrls;
  }

  get redisUrl(): string {
    return this.stack.redisUrl;
  }

  /** Submits a job of any type; answers its id. `finishJobs` cancels it with the others. */
  async submit(type: string, payload: unknown): Promise<string> {
    const { job } = await this.request<{ job: JobSnapshot }>('POST', '/jobs', { type, payload });
    this.openIds.push(job.id);
    return job.id;
  }

  /** Submits a batch of jobs (`POST /batches`); answers its id and its jobs' ids. `finishJobs` cancels them. */
  async submitBatch(
    jobs: readonly { type: string; payload: unknown }[],
  ): Promise<{ batchId: string; jobIds: string[] }> {
    const answer = await this.request<{ batch: { id: string }; jobs: JobSnapshot[] }>('POST', '/batches', { jobs });
    const jobIds = answer.jobs.map((job) => job.id);
    this.openIds.push(...jobIds);
    return { batchId: answer.batch.id, jobIds };
  }

  processes(): MeasuredProcess[] {
    const { gateways, workers, redis } = this.stack;
    return [
      ...gateways.map((gateway) => measuredProcess(gateway, 'server', true)),
      ...(this.silent ? [] : workers.map((worker) => measuredProcess(worker, 'publisher', true))),
      ...(redis ? [measuredProcess(redis, 'redis', false)] : []),
    ];
  }

  async openJobs(traffic: readonly JobTraffic[], runForMs: number): Promise<string[]> {
    const ids = await mapConcurrently(traffic, HTTP_CONCURRENCY, async (job) => {
      if (job.hz === 0 && !this.silent) {
        throw new Error('a silent job needs a Jobcast without workers: a worker would run it');
      }
      const payload = job.hz === 0 ? { steps: 1, intervalMs: 0 } : stepsFor(job, runForMs);
      const { job: snapshot } = await this.request<{ job: JobSnapshot }>('POST', '/jobs', {
        type: 'demo.steps',
        payload,
      });
      return snapshot.id;
    });
    this.openIds.push(...ids);
    return ids;
  }

  /** Nothing to do: a Jobcast job runs as soon as a worker takes it. */
  startPublishing(): Promise<void> {
    return Promise.resolve();
  }

  /** Cancels every open job: its watchers get `cancelled`, the terminal event. */
  async finishJobs(): Promise<void> {
    const ids = this.openIds;
    this.openIds = [];
    await mapConcurrently(ids, HTTP_CONCURRENCY, (id) => this.request('POST', `/jobs/${id}/cancel`, undefined, [409]));
  }

  stop(): Promise<void> {
    return this.stack.stop();
  }

  /** The same gateways, jobs and processes, watched over the plain WebSocket (`/ws`) instead of Socket.IO. */
  withPlainWatchers(): StreamingSystem {
    return {
      label: JOBCAST_PLAIN_LABEL,
      watcherProtocol: 'plain-websocket',
      socketUrls: this.socketUrls,
      token: this.token,
      processes: () => this.processes(),
      openJobs: (traffic, runForMs) => this.openJobs(traffic, runForMs),
      startPublishing: () => this.startPublishing(),
      finishJobs: () => this.finishJobs(),
      stop: () => this.stop(),
    };
  }

  private async request<Answer>(
    method: string,
    path: string,
    body?: unknown,
    acceptedErrors: number[] = [],
  ): Promise<Answer> {
    const response = await fetch(`${this.socketUrls[0]}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!response.ok && !acceptedErrors.includes(response.status)) {
      throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as Answer;
  }
}
