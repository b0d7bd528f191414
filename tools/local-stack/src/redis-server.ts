import { ensureDebianTool } from './debian-package';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process';

/** Finds redis-server, installing Debian's package when this machine lets us; otherwise says how. */
export function ensureRedisServer(announce: (message: string) => void): string {
  return ensureDebianTool(
    {
      command: 'redis-server',
      packageName: 'redis-server',
      installedPath: '/usr/bin/redis-server',
      otherwise: 'or set REDIS_URL',
    },
    announce,
  );
}

/** Resolves once something accepts TCP connections on the port and answers PING. */
export async function waitForRedis(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis on port ${port} did not answer within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RedisServerOptions {
  binary: string;
  port: number;
  /** Where the AOF lives: a restarted server reloads every job from it. */
  dataDir: string;
  logDir: string;
  /** `always` makes every write durable before it is acknowledged (tests); `everysec` is the usual trade. */
  appendFsync?: 'always' | 'everysec';
  /** Extra `--flag value` pairs, e.g. cluster mode. */
  extraArgs?: string[];
  restartOnExit?: boolean;
  announce?: (message: string) => void;
  onSpawn?: (process: ManagedProcess) => void;
  name?: string;
}

/** A local redis-server with AOF persistence, as a managed process. */
export function redisServerProcess(options: RedisServerOptions): ManagedProcess {
  mkdirSync(options.dataDir, { recursive: true });
  return new ManagedProcess({
    name: options.name ?? 'redis',
    command: options.binary,
    args: [
      '--port',
      String(options.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      options.dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      options.appendFsync ?? 'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      ...(options.extraArgs ?? []),
    ],
    logFile: join(options.logDir, `${options.name ?? 'redis'}.log`),
    waitReady: () => waitForRedis(options.port),
    restartOnExit: options.restartOnExit,
    announce: options.announce,
    onSpawn: options.onSpawn,
  });
}
