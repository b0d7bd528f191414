import { join, resolve } from 'node:path';
import { ManagedProcess } from './managed-process';

/** The repository root, from tools/local-stack/dist. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export type AppName = 'gateway' | 'worker';

export interface AppProcessOptions {
  app: AppName;
  name: string;
  env: NodeJS.ProcessEnv;
  logDir: string;
  restartOnExit?: boolean;
  announce?: (message: string) => void;
  onSpawn?: (process: ManagedProcess) => void;
}

/** Preloaded into each app: it stops itself when the launcher that started it is gone. */
const EXIT_WITH_LAUNCHER = join(__dirname, 'exit-with-launcher.js');

export function appEntry(app: AppName): string {
  return join(REPO_ROOT, 'apps', app, 'dist', 'main.js');
}

/** A gateway is ready when /healthz answers; a worker when it logs that it is ready. */
async function waitReady(app: AppName, env: NodeJS.ProcessEnv, process: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (app === 'worker' && process.recentOutput.includes('"msg":"worker ready"')) return;
    if (app === 'gateway') {
      try {
        const response = await fetch(`http://127.0.0.1:${env.PORT}/healthz`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${process.name} was not ready within 30 s:\n${process.recentOutput.slice(-2000)}`);
}

export function appProcess(options: AppProcessOptions): ManagedProcess {
  return new ManagedProcess({
    name: options.name,
    command: process.execPath,
    args: ['--require', EXIT_WITH_LAUNCHER, appEntry(options.app)],
    env: options.env,
    logFile: join(options.logDir, `${options.name}.log`),
    waitReady: (managed) => waitReady(options.app, options.env, managed),
    restartOnExit: options.restartOnExit,
    announce: options.announce,
    onSpawn: options.onSpawn,
  });
}
