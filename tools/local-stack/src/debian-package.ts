import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface DebianTool {
  /** The command to find, e.g. `redis-server`. */
  command: string;
  /** The Debian package that ships it. */
  packageName: string;
  /** Where the package puts it when that is not on PATH (nginx: /usr/sbin). */
  installedPath: string;
  /** What to tell a user who cannot install it. */
  otherwise: string;
}

/**
 * Finds a tool, installing its Debian package when it is missing and this process may (root with apt-get);
 * otherwise throws with a message that says how to get it. New machines and CI start without these.
 */
export function ensureDebianTool(tool: DebianTool, announce: (message: string) => void): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool.command}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (existsSync(tool.installedPath)) return tool.installedPath;
  const canInstall = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!canInstall) {
    throw new Error(
      `${tool.command} is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y ${tool.packageName}) ${tool.otherwise}.`,
    );
  }
  announce(`${tool.command} is missing; installing Debian package ${tool.packageName}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', tool.packageName], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return tool.installedPath;
}
