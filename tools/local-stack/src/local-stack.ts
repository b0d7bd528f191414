import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { appProcess } from './app-processes';
import { freePort } from './free-port';
import type { ManagedProcess } from './managed-process';
import { ensureNginx, nginxLoadBalancerProcess } from './nginx-load-balancer';
import { RedisCluster } from './redis-cluster';
import { ensureRedisServer, redisServerProcess } from './redis-server';
import { StateDirLock } from './state-dir-lock';

export interface LocalStackOptions {
  /** Port of the first gateway; the others follow it. 0 picks free ports. */
  port: number;
  gateways: number;
  workers: number;
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
  /** Start a local Redis Cluster of this many masters instead of one redis-server. */
  cluster?: { masters: number };
  /**
   * Where Redis keeps its AOF, the processes their logs, and the launcher its lock (see StateDirLock): one
   * LocalStack at a time per directory.
   */
  stateDir: string;
  /** Added to every app's environment. */
  env?: NodeJS.ProcessEnv;
  restartOnExit?: boolean;
  redisAppendFsync?: 'always' | 'everysec';
  /**
   * Put nginx in front of the gateways, configured like docker compose's. Port 0 picks a free port;
   * `streamsPerAddress` defaults to DEFAULT_LB_STREAMS_PER_ADDRESS.
   */
  lb?: { port: number; streamsPerAddress?: number };
  announce?: (message: string) => void;
}

/**
 * The same topology as docker-compose.yml, as local processes: one redis-server (or a local Redis Cluster
 * with `cluster`, or none when REDIS_URL is given), N gateways on consecutive ports and M workers, all
 * sharing one environment, and optionally the nginx load balancer in front of the gateways.
 */
export class LocalStack {
  redis: ManagedProcess | undefined;
  /** The local Redis Cluster, when started with `cluster`. */
  redisCluster: RedisCluster | undefined;
  lb: ManagedProcess | undefined;
  readonly gateways: ManagedProcess[] = [];
  readonly workers: ManagedProcess[] = [];
  readonly gatewayPorts: number[] = [];
  readonly workerMetricsPorts: number[] = [];
  redisUrl = '';
  redisPort = 0;
  lbPort = 0;
  env: NodeJS.ProcessEnv = {};
  private lock: StateDirLock | undefined;

  constructor(private readonly options: LocalStackOptions) {}

  get gatewayUrls(): string[] {
    return this.gatewayPorts.map((port) => `http://127.0.0.1:${port}`);
  }

  /** Every process's output, `<name>.log`, and the load balancer's `lb-access.log`. */
  get logDir(): string {
    return join(this.options.stateDir, 'logs');
  }

  get lbUrl(): string | undefined {
    return this.lb && `http://127.0.0.1:${this.lbPort}`;
  }

  get all(): ManagedProcess[] {
    return [
      ...(this.lb ? [this.lb] : []),
      ...this.gateways,
      ...this.workers,
      ...(this.redis ? [this.redis] : []),
      ...(this.redisCluster?.nodes ?? []),
    ];
  }

  async start(): Promise<void> {
    const { options, logDir } = this;
    // Before anything starts: what a launcher killed here left running is stopped first.
    this.lock = await StateDirLock.acquire(options.stateDir, options.announce ?? (() => undefined));
    const onSpawn = (): void => this.recordProcesses();
    let clusterEnv: NodeJS.ProcessEnv = {};
    if (options.redisUrl) {
      this.redisUrl = options.redisUrl;
    } else if (options.cluster) {
      this.redisCluster = new RedisCluster({
        binary: ensureRedisServer(options.announce ?? (() => undefined)),
        masters: options.cluster.masters,
        dataDir: join(options.stateDir, 'redis-cluster'),
        logDir,
        appendFsync: options.redisAppendFsync,
        restartOnExit: options.restartOnExit,
        announce: options.announce,
        onSpawn,
      });
      await this.redisCluster.start();
      // The apps take the cluster's seeds from REDIS_CLUSTER_NODES; REDIS_URL still names one node for tools.
      this.redisUrl = `redis://127.0.0.1:${this.redisCluster.ports[0]}`;
      clusterEnv = { REDIS_CLUSTER_NODES: this.redisCluster.clusterNodes };
    } else {
      this.redisPort = await freePort();
      this.redisUrl = `redis://127.0.0.1:${this.redisPort}`;
      this.redis = redisServerProcess({
        binary: ensureRedisServer(options.announce ?? (() => undefined)),
        port: this.redisPort,
        dataDir: join(options.stateDir, 'redis'),
        logDir,
        appendFsync: options.redisAppendFsync,
        restartOnExit: options.restartOnExit,
        announce: options.announce,
        onSpawn,
      });
      await this.redis.start();
    }
    this.env = {
      ...process.env,
      JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(32).toString('hex'),
      ...options.env,
      REDIS_URL: this.redisUrl,
      ...clusterEnv,
    };
    for (let i = 0; i < options.gateways; i += 1) {
      const port = options.port === 0 ? await freePort() : options.port + i;
      this.gatewayPorts.push(port);
      this.gateways.push(
        appProcess({
          app: 'gateway',
          name: `gateway-${i + 1}`,
          env: { ...this.env, PORT: String(port), GATEWAY_ID: `gateway-${i + 1}` },
          logDir,
          restartOnExit: options.restartOnExit,
          announce: options.announce,
          onSpawn,
        }),
      );
    }
    for (let i = 0; i < options.workers; i += 1) {
      // Each worker serves /metrics on a port of its own; in compose each container has the default one.
      const metricsPort = await freePort();
      this.workerMetricsPorts.push(metricsPort);
      this.workers.push(
        appProcess({
          app: 'worker',
          name: `worker-${i + 1}`,
          env: { ...this.env, WORKER_METRICS_PORT: String(metricsPort) },
          logDir,
          restartOnExit: options.restartOnExit,
          announce: options.announce,
          onSpawn,
        }),
      );
    }
    await Promise.all([...this.gateways, ...this.workers].map((process) => process.start()));
    if (options.lb) {
      this.lbPort = options.lb.port === 0 ? await freePort() : options.lb.port;
      this.lb = nginxLoadBalancerProcess({
        binary: ensureNginx(options.announce ?? (() => undefined)),
        port: this.lbPort,
        gatewayPorts: this.gatewayPorts,
        streamsPerAddress: options.lb.streamsPerAddress,
        dir: join(options.stateDir, 'nginx'),
        logDir,
        restartOnExit: options.restartOnExit,
        announce: options.announce,
        onSpawn,
      });
      await this.lb.start();
    }
  }

  /** Stops the load balancer first (no new clients), then the apps (they may still write to Redis), then Redis. */
  async stop(): Promise<void> {
    await this.lb?.dispose();
    await Promise.all([...this.gateways, ...this.workers].map((process) => process.dispose()));
    await this.redis?.dispose();
    await this.redisCluster?.stop();
    this.lock?.release();
  }

  /** What runs now, in the order stop() stops it, for a later launcher to find should this one be killed. */
  private recordProcesses(): void {
    this.lock?.record([
      this.lb ? [this.lb] : [],
      // Started with exit-with-launcher: they stop by themselves once this launcher is gone.
      [...this.gateways, ...this.workers].map(({ name, pid }) => ({ name, pid, endsItself: true })),
      [...(this.redis ? [this.redis] : []), ...(this.redisCluster?.nodes ?? [])],
    ]);
  }
}
