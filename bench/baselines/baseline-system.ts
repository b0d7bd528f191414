import { ManagedProcess, freePort, redisServerProcess } from '@jobcast/local-stack';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MeasuredProcess } from '../metrics/proc-stats';
import { sleep } from '../pacing';
import { RpcProcess } from '../rpc/rpc';
import type { RunContext } from '../run-context';
import { measuredProcess, stepsFor, type JobTraffic, type StreamingSystem } from '../systems/streaming-system';
import type { EmitterPublisherApi, PublishedJob } from './emitter-publisher-api';

const SERVER_SCRIPT = join(__dirname, 'plain-socketio-server.js');
const PUBLISHER_SCRIPT = join(__dirname, 'emitter-publisher.js');
const READY_TIMEOUT_MS = 30_000;

/**
 * B: two plain Socket.IO servers sharing rooms through `@socket.io/redis-adapter`, fed by a publisher
 * process through `@socket.io/redis-emitter`. C: one such server with the in-memory adapter and no
 * publisher, for connection capacity.
 */
export type BaselineVariant = 'B' | 'C';

export const BASELINE_LABELS: Record<BaselineVariant, string> = {
  B: 'B: Socket.IO + redis-adapter',
  C: 'C: Socket.IO, in-memory adapter',
};

interface RunningBaseline {
  servers: ManagedProcess[];
  serverPorts: number[];
  redis?: { process: ManagedProcess; url: string };
  publisher?: RpcProcess<EmitterPublisherApi>;
}

export class BaselineSystem implements StreamingSystem {
  readonly label: string;
  readonly token = undefined;
  /** Jobs opened and not started yet; silent ones never are. */
  private unstarted: PublishedJob[] = [];

  private constructor(
    variant: BaselineVariant,
    private readonly running: RunningBaseline,
  ) {
    this.label = BASELINE_LABELS[variant];
  }

  static async start(context: RunContext, variant: BaselineVariant): Promise<BaselineSystem> {
    const dir = context.stateDir(`baseline-${variant.toLowerCase()}`);
    const logDir = join(dir, 'logs');
    const running: RunningBaseline = { servers: [], serverPorts: [] };
    try {
      if (variant === 'B') {
        const port = await freePort();
        const redis = redisServerProcess({ binary: context.redisBinary, port, dataDir: join(dir, 'redis'), logDir });
        running.redis = { process: redis, url: `redis://127.0.0.1:${port}` };
        await redis.start();
      }
      for (let i = 0; i < (variant === 'B' ? 2 : 1); i += 1) {
        const port = await freePort();
        const server = new ManagedProcess({
          name: `baseline-${variant.toLowerCase()}-${i + 1}`,
          command: process.execPath,
          args: [SERVER_SCRIPT],
          env: {
            ...process.env,
            ...context.probeEnv,
            PORT: String(port),
            BASELINE_ADAPTER: running.redis ? 'redis' : 'memory',
            ...(running.redis && { REDIS_URL: running.redis.url }),
          },
          logFile: join(logDir, `baseline-${variant.toLowerCase()}-${i + 1}.log`),
          waitReady: () => waitForHttp(`http://127.0.0.1:${port}/`),
        });
        running.servers.push(server);
        running.serverPorts.push(port);
        await server.start();
      }
      if (running.redis) {
        running.publisher = await RpcProcess.fork<EmitterPublisherApi>('baseline-b-publisher', PUBLISHER_SCRIPT);
        await running.publisher.call('connect', { redisUrl: running.redis.url });
      }
    } catch (error) {
      await stopBaseline(running);
      throw error;
    }
    return new BaselineSystem(variant, running);
  }

  get socketUrls(): string[] {
    return this.running.serverPorts.map((port) => `http://127.0.0.1:${port}`);
  }

  processes(): MeasuredProcess[] {
    const { servers, redis, publisher } = this.running;
    return [
      ...servers.map((server) => measuredProcess(server, 'server', true)),
      ...(publisher ? [{ name: publisher.name, role: 'publisher' as const, pid: publisher.pid, probed: false }] : []),
      ...(redis ? [measuredProcess(redis.process, 'redis', false)] : []),
    ];
  }

  openJobs(traffic: readonly JobTraffic[], runForMs: number): Promise<string[]> {
    const ids = traffic.map((job) => {
      const jobId = randomUUID();
      if (job.hz > 0) {
        if (!this.running.publisher) throw new Error(`${this.label} has no publisher: its jobs can only be silent`);
        this.unstarted.push({ jobId, ...stepsFor(job, runForMs) });
      }
      return jobId;
    });
    return Promise.resolve(ids);
  }

  async startPublishing(): Promise<void> {
    const jobs = this.unstarted;
    this.unstarted = [];
    if (jobs.length > 0) await this.running.publisher?.call('start', { jobs });
  }

  async finishJobs(): Promise<void> {
    this.unstarted = [];
    await this.running.publisher?.call('finish', {});
  }

  stop(): Promise<void> {
    return stopBaseline(this.running);
  }
}

async function stopBaseline({ servers, redis, publisher }: RunningBaseline): Promise<void> {
  await publisher?.stop();
  await Promise.all(servers.map((server) => server.dispose()));
  await redis?.process.dispose();
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`${url} did not answer within ${READY_TIMEOUT_MS} ms`);
}
