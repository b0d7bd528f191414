import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identify, isRunning, type ProcessIdentity } from './process-identity';

/** The lock's file in the state directory. */
export const LAUNCHER_LOCK_FILE = 'launcher.json';

/** Longer than the apps' SHUTDOWN_GRACE (10 s by default), so a leftover app can finish what it does. */
const LEFTOVER_GRACE_MS = 15_000;

export interface RecordedProcess extends ProcessIdentity {
  name: string;
  /** It stops by itself once its launcher is gone (the apps: see exit-with-launcher.ts). */
  endsItself?: boolean;
}

interface LockRecord {
  launcher: ProcessIdentity;
  /** What the launcher runs, in waves to stop one after the other: load balancer, apps, Redis. */
  stopOrder: RecordedProcess[][];
}

/** A process that can be recorded: it has a pid once started. */
export interface NamedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly endsItself?: boolean;
}

/**
 * One launcher per state directory, and so one Redis per data directory. The launcher holds
 * `<stateDir>/launcher.json`, which names it and every process it runs (rewritten at every start and
 * restart). A launcher that finds the file held by one that is still running refuses to start; one that
 * finds it left by a launcher that is gone (SIGKILL, a crash) first stops whatever of it still runs, in the
 * order the launcher would have stopped it, then takes the file.
 */
export class StateDirLock {
  private constructor(
    private readonly file: string,
    private readonly self: ProcessIdentity,
  ) {}

  static async acquire(stateDir: string, announce: (message: string) => void): Promise<StateDirLock> {
    mkdirSync(stateDir, { recursive: true });
    const file = join(stateDir, LAUNCHER_LOCK_FILE);
    const self = identify(process.pid);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (createExclusively(file, { launcher: self, stopOrder: [] })) return new StateDirLock(file, self);
      const text = readText(file);
      const held = parseRecord(text);
      if (held && isRunning(held.launcher)) {
        const { pid } = held.launcher;
        throw new Error(
          `another launcher (pid ${pid}) is using ${stateDir}: stop it first (kill ${pid}), or give this one another JOBCAST_STATE_DIR`,
        );
      }
      if (held) await stopLeftovers(held, announce);
      // Only the stale file: another launcher may have taken the directory meanwhile.
      if (readText(file) === text) rmSync(file, { force: true });
    }
    throw new Error(`could not take ${file}: other launchers keep starting on ${stateDir}`);
  }

  /** Records what runs now, each wave stopped before the next. */
  record(stopOrder: ReadonlyArray<readonly NamedProcess[]>): void {
    const record: LockRecord = {
      launcher: this.self,
      stopOrder: stopOrder.map((wave) =>
        wave.flatMap(({ name, pid, endsItself }) =>
          pid === undefined ? [] : [{ name, ...identify(pid), ...(endsItself && { endsItself }) }],
        ),
      ),
    };
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record));
    renameSync(temporary, this.file);
  }

  /** Gives the directory up, once everything recorded has stopped. */
  release(): void {
    const held = parseRecord(readText(this.file));
    if (held?.launcher.pid === this.self.pid && held.launcher.startTime === this.self.startTime)
      rmSync(this.file, { force: true });
  }
}

/** Creates the file with this content unless it exists, atomically: no one ever reads it half written. */
function createExclusively(file: string, record: LockRecord): boolean {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record));
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The record; undefined when there is none, or the file is not one (edited by hand), naming no process. */
function parseRecord(text: string | undefined): LockRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<LockRecord>;
    const valid = Number.isInteger(record.launcher?.pid) && (record.launcher?.pid ?? 0) > 0;
    return valid && Array.isArray(record.stopOrder) ? (record as LockRecord) : undefined;
  } catch {
    return undefined;
  }
}

async function stopLeftovers(held: LockRecord, announce: (message: string) => void): Promise<void> {
  for (const wave of held.stopOrder) {
    const running = wave.filter(isRunning);
    if (running.length === 0) continue;
    announce(
      `the launcher that was here (pid ${held.launcher.pid}) is gone and left ${running
        .map(({ name, pid }) => `${name} (pid ${pid})`)
        .join(', ')} running; stopping ${running.length === 1 ? 'it' : 'them'}`,
    );
    await Promise.all(running.map((leftover) => stop(leftover)));
  }
}

/**
 * SIGTERM to its process group (nginx's workers too), SIGKILL after LEFTOVER_GRACE_MS. One that stops by
 * itself may be doing so (handing its jobs back): it gets that time first, since a second SIGTERM would cut
 * its shutdown short.
 */
async function stop(leftover: RecordedProcess): Promise<void> {
  if (leftover.endsItself && (await exited(leftover, LEFTOVER_GRACE_MS))) return;
  signalGroup(leftover.pid, 'SIGTERM');
  if (await exited(leftover, LEFTOVER_GRACE_MS)) return;
  signalGroup(leftover.pid, 'SIGKILL');
  if (!(await exited(leftover, 5_000))) throw new Error(`${leftover.name} (pid ${leftover.pid}) would not stop`);
}

/** The launcher starts each process as the leader of its own group. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

async function exited(leftover: RecordedProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(leftover)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
