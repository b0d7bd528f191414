import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  redis: string;
  /** Versions of the packages on the measured paths, as installed. */
  packages: Record<string, string>;
  /** The Jobcast commit measured, `+dirty` when the work tree had changes. */
  jobcastCommit: string;
  openFileLimit: number;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage1m: number;
}

const REPO_ROOT = join(__dirname, '..', '..');
const PACKAGES = [
  'socket.io',
  'socket.io-client',
  'engine.io',
  'ws',
  '@socket.io/redis-adapter',
  '@socket.io/redis-emitter',
  'ioredis',
  'bullmq',
  '@nestjs/core',
];

export function describeMachine(redisBinary: string): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memTotalKiB = Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1] ?? 0);
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((memTotalKiB / 1024 / 1024) * 10) / 10,
    kernel: release(),
    node: process.version,
    redis: /v=(\S+)/.exec(execFileSync(redisBinary, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown',
    packages: Object.fromEntries(PACKAGES.map((name) => [name, installedVersion(name)])),
    jobcastCommit: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain').length > 0 ? '+dirty' : ''}`,
    openFileLimit: openFileLimit(),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** This process's soft limit on open files, which every process it starts inherits. */
export function openFileLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match?.[1] === undefined || match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

function installedVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return manifest.version;
  } catch {
    return 'not installed';
  }
}
