import { fork, type ChildProcess } from 'node:child_process';

/**
 * Calls between the orchestrator and the processes it forks (load generators, the baseline publisher),
 * over Node's IPC channel. An API is an object of async methods taking one JSON-serializable argument.
 */
export type RpcApi<Api> = { [Method in keyof Api]: (params: never) => Promise<unknown> };

type ParamsOf<Method> = Method extends (params: infer Params) => Promise<unknown> ? Params : never;
type ResultOf<Method> = Method extends (params: never) => Promise<infer Result> ? Result : never;

interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

type RpcResponse = { id: number; result: unknown } | { id: number; error: string };

const READY = 'rpc:ready';
const STOP_GRACE_MS = 5000;

/** In a forked process: answers the parent's calls with `handlers`, and exits when the parent goes away. */
export function serveRpc<Api extends RpcApi<Api>>(handlers: Api): void {
  const send = (message: RpcResponse | typeof READY): void => {
    process.send?.(message);
  };
  const methods = handlers as unknown as Record<string, ((params: unknown) => Promise<unknown>) | undefined>;
  process.on('message', (request: RpcRequest) => {
    const method = methods[request.method];
    if (typeof method !== 'function') {
      send({ id: request.id, error: `unknown method ${request.method}` });
      return;
    }
    // Called on `handlers`, so class-based handlers keep their `this`.
    method.call(handlers, request.params).then(
      (result) => send({ id: request.id, result }),
      (error: unknown) =>
        send({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  // An orchestrator that dies must not leave thousands of sockets open behind it.
  process.on('disconnect', () => process.exit(0));
  send(READY);
}

/** In the orchestrator: a forked process whose handlers are called like async functions. */
export class RpcProcess<Api extends RpcApi<Api>> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exitError: Error | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: RpcResponse) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if ('error' in message) call.reject(new Error(`${name}: ${message.error}`));
      else call.resolve(message.result);
    });
    child.on('exit', (code, signal) => {
      this.exitError = new Error(`${name} exited (${signal ?? `code ${code}`})`);
      for (const call of this.pending.values()) call.reject(this.exitError);
      this.pending.clear();
    });
  }

  /** Forks `script` (a compiled bench module that calls serveRpc) and resolves once it serves. */
  static async fork<Api extends RpcApi<Api>>(name: string, script: string): Promise<RpcProcess<Api>> {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`${name} exited while starting (${signal ?? code})`)));
      child.once('message', (message) =>
        message === READY ? resolve() : reject(new Error(`${name}: unexpected ${JSON.stringify(message)}`)),
      );
    });
    child.removeAllListeners('error');
    child.removeAllListeners('exit');
    return new RpcProcess<Api>(name, child);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  call<Method extends keyof Api & string>(
    method: Method,
    params: ParamsOf<Api[Method]>,
  ): Promise<ResultOf<Api[Method]>> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, method, params } satisfies RpcRequest);
    });
  }

  /** Closes the channel (the process exits by itself), killing it if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    this.child.disconnect();
    await exited;
    clearTimeout(killer);
  }
}
