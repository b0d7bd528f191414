import { ensureRedisServer } from '@jobcast/local-stack';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBE_DIR_ENV, PROBE_SCRIPT } from './metrics/probe';
import type { StreamingSystem } from './systems/streaming-system';

/** What every part of one bench run shares: a scratch directory, the JWT secret, redis-server, the log. */
export class RunContext {
  /** Redis data, process logs and probe sockets; short, since Unix socket paths are capped at 107 bytes. */
  readonly dir = mkdtempSync(join(tmpdir(), 'jobcast-bench-'));
  readonly probeDir = join(this.dir, 'probes');
  readonly jwtSecret = randomBytes(32).toString('hex');
  readonly redisBinary: string;
  private readonly startedAt = Date.now();
  private readonly running = new Set<StreamingSystem>();

  constructor() {
    mkdirSync(this.probeDir);
    this.redisBinary = ensureRedisServer((message) => this.log(message));
  }

  /** The environment that preloads the probe: given to every Node process under test, and to no other. */
  get probeEnv(): NodeJS.ProcessEnv {
    const nodeOptions = [process.env.NODE_OPTIONS, `--require ${PROBE_SCRIPT}`].filter(Boolean).join(' ');
    return { NODE_OPTIONS: nodeOptions, [PROBE_DIR_ENV]: this.probeDir };
  }

  /** Starts a system that `stopAll` stops, should the run end before its scenario stops it. */
  async startSystem<System extends StreamingSystem>(start: () => Promise<System>): Promise<System> {
    const system = await start();
    this.running.add(system);
    return system;
  }

  async stopSystem(system: StreamingSystem): Promise<void> {
    this.running.delete(system);
    await system.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((system) => this.stopSystem(system)));
  }

  stateDir(name: string): string {
    return join(this.dir, name);
  }

  log(message: string): void {
    process.stdout.write(`[bench +${Math.round((Date.now() - this.startedAt) / 1000)}s] ${message}\n`);
  }

  removeScratch(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
