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
  installDebianPackages([tool.packageName], `${tool.command} is not installed`, tool.otherwise, announce);
  return tool.installedPath;
}

/** Debian's own Python, where its python3-* packages put their modules. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface DebianPythonModule {
  /** What `import` names, e.g. `socketio`. */
  module: string;
  /** The Debian package that ships it, e.g. `python3-socketio`. */
  packageName: string;
}

/** Makes sure Debian's python3 can import these modules, installing their packages as ensureDebianTool does. */
export function ensureDebianPythonModules(
  modules: readonly DebianPythonModule[],
  otherwise: string,
  announce: (message: string) => void,
): void {
  const missing = modules.filter(
    ({ module }) => spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return;
  installDebianPackages(
    missing.map(({ packageName }) => packageName),
    `Python modules ${missing.map(({ module }) => module).join(', ')} are not installed`,
    otherwise,
    announce,
  );
}

function installDebianPackages(
  packages: readonly string[],
  problem: string,
  otherwise: string,
  announce: (message: string) => void,
): void {
  const canInstall = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!canInstall) {
    throw new Error(
      `${problem}. Install them (Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}) ${otherwise}.`,
    );
  }
  announce(`${problem}; installing Debian packages ${packages.join(' ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
