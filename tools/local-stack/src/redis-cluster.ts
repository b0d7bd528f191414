import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import type { ManagedProcess } from './managed-process';
import { redisServerProcess } from './redis-server';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** redis-server; redis-cli is looked up next to it (Debian ships both in one package). */
  binary: string;
  /** How many masters; no replicas. @default 3 */
  masters?: number;
  /** Each node keeps its AOF and `nodes-<port>.conf` in `<dataDir>/<port>`. */
  dataDir: string;
  logDir: string;
  appendFsync?: 'always' | 'everysec';
  restartOnExit?: boolean;
  announce?: (message: string) => void;
  onSpawn?: (process: ManagedProcess) => void;
}

/**
 * A local Redis Cluster of N masters without replicas, as managed processes: each node on a free port in
 * cluster mode, then `redis-cli --cluster create` spreads the 16384 slots over them. Ready once every node
 * says `cluster_state:ok`. Each start makes a new, empty cluster; a node restarted while it runs rejoins from
 * its `nodes-<port>.conf` and AOF.
 */
export class RedisCluster {
  readonly nodes: ManagedProcess[] = [];
  readonly ports: number[] = [];

  constructor(private readonly options: RedisClusterOptions) {}

  /** `host:port,…`, the value of REDIS_CLUSTER_NODES. */
  get clusterNodes(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  async start(): Promise<void> {
    const { options } = this;
    // Ports are picked anew each time, so an earlier cluster's state could only conflict: start empty.
    rmSync(options.dataDir, { recursive: true, force: true });
    for (let i = 0; i < (options.masters ?? 3); i += 1) {
      const port = await freePort();
      this.ports.push(port);
      this.nodes.push(
        redisServerProcess({
          binary: options.binary,
          port,
          name: `redis-${port}`,
          dataDir: join(options.dataDir, String(port)),
          logDir: options.logDir,
          appendFsync: options.appendFsync,
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
          ],
          restartOnExit: options.restartOnExit,
          announce: options.announce,
          onSpawn: options.onSpawn,
        }),
      );
    }
    await Promise.all(this.nodes.map((node) => node.start()));
    await run(this.cli(), [
      '--cluster',
      'create',
      ...this.ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await this.waitUntilOk();
  }

  /** Resolves once every node reports `cluster_state:ok` (slots assigned, nodes agree). */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.ports.map((port) => this.clusterState(port)));
      if (states.every((state) => state === 'ok')) return;
      if (Date.now() > deadline) throw new Error(`redis cluster not ok within ${timeoutMs} ms: ${states.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops every node (SIGTERM: each writes its AOF out). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }

  private cli(): string {
    return this.options.binary.includes('/') ? join(dirname(this.options.binary), 'redis-cli') : 'redis-cli';
  }

  private async clusterState(port: number): Promise<string> {
    try {
      const { stdout } = await run(this.cli(), ['-p', String(port), 'cluster', 'info']);
      return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? 'unknown';
    } catch {
      return 'unreachable';
    }
  }
}
