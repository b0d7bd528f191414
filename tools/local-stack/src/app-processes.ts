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

/**
 * Where an app says it is ready: a gateway's /healthz, once it listens; a worker's /readyz, once it is
 * registered and taking jobs (on WORKER_METRICS_PORT, which the launcher gives each worker).
 */
function readinessUrl(app: AppName, env: NodeJS.ProcessEnv): string {
  return app === 'gateway'
    ? `http://127.0.0.1:${env.PORT}/healthz`
    : `http://127.0.0.1:${env.WORKER_METRICS_PORT}/readyz`;
}

async function waitReady(url: string, process: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${process.name} was not ready within 30 s (${url}):\n${process.recentOutput.slice(-2000)}`);
}

export function appProcess(options: AppProcessOptions): ManagedProcess {
  return new ManagedProcess({
    name: options.name,
    command: process.execPath,
    args: ['--require', EXIT_WITH_LAUNCHER, appEntry(options.app)],
    env: options.env,
    logFile: join(options.logDir, `${options.name}.log`),
    waitReady: (managed) => waitReady(readinessUrl(options.app, options.env), managed),
    restartOnExit: options.restartOnExit,
    announce: options.announce,
    onSpawn: options.onSpawn,
  });
}
