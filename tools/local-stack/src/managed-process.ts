import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface ManagedProcessOptions {
  /** Name in messages and the log file name, e.g. `gateway-1`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr go. */
  logFile: string;
  /** Resolves once the process can serve; rejects to fail the start. */
  waitReady: (process: ManagedProcess) => Promise<void>;
  /** Restart it when it exits on its own. @default false */
  restartOnExit?: boolean;
  /** Says what happens, for the launcher's output. */
  announce?: (message: string) => void;
  /** Called each time it is started or restarted, once it has its pid. */
  onSpawn?: (process: ManagedProcess) => void;
}

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;
const STABLE_AFTER_MS = 30_000;

/**
 * One child process: start it, wait until it is ready, signal it, restart it — by hand, or on its own
 * with a doubling backoff when it dies (a process that stayed up for 30 s starts again from 500 ms).
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream;
  private stopping = false;
  private backoffMs = FIRST_BACKOFF_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private output = '';

  constructor(private readonly options: ManagedProcessOptions) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything it printed since its last start, for readiness checks and failure reports. */
  get recentOutput(): string {
    return this.output;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.output = '';
    const child = spawn(this.options.command, this.options.args, {
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C reaches only the launcher, which stops the apps before Redis.
      detached: true,
    });
    this.child = child;
    this.options.onSpawn?.(this);
    const startedAt = Date.now();
    const capture = (chunk: Buffer): void => {
      this.log.write(chunk);
      // Only the tail matters for readiness and error reports; keep memory flat on chatty processes.
      this.output = (this.output + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    child.on('exit', (code, signal) => {
      if (this.child !== child || this.stopping || !this.options.restartOnExit) return;
      if (Date.now() - startedAt > STABLE_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      this.options.announce?.(`${this.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      this.restartTimer = setTimeout(() => {
        this.start().then(
          () => this.options.announce?.(`${this.name} is back (pid ${this.pid})`),
          (error: unknown) => this.options.announce?.(`${this.name} failed to restart: ${String(error)}`),
        );
      }, delay);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(
          new Error(`${this.name} exited during start (${signal ?? `code ${code}`}):\n${this.output.slice(-2000)}`),
        ),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([this.options.waitReady(this), exited]);
  }

  /** Sends a signal without stopping supervision: a killed supervised process comes back. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  /** Resolves when the current child has exited. */
  exited(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Stops it for good: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && this.running) {
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await this.exited();
      clearTimeout(killer);
    }
  }

  /** Closes the log file; after this the process cannot be started again. */
  async dispose(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
