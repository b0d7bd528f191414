import { LocalStack } from '@jobcast/local-stack';
import { SignJWT } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export const TEST_JWT_SECRET = 'e2e-secret-0123456789abcdef0123456789abcdef';

export interface E2eStackOptions {
  gateways?: number;
  workers?: number;
  env?: NodeJS.ProcessEnv;
  /** Put nginx in front of the gateways, as docker compose does. */
  lb?: boolean;
  /** The load balancer's limit on open sockets and streams per client address. */
  lbStreamsPerAddress?: number;
  /** Run on a local Redis Cluster of this many masters instead of one redis-server. */
  clusterMasters?: number;
}

/**
 * For slow-consumer tests: every progress call published (none coalesced by the worker), and a socket
 * dropped once 100 events wait for it, a backlog a test reaches in a moment.
 */
export const SLOW_CONSUMER_ENV = { PROGRESS_MAX_HZ: '1000', SOCKET_MAX_PENDING_EVENTS: '100' };

/** What a test opens against a stack and leaves to the stack to close: sockets, clients, Redis connections. */
export type Closable = { disconnect(): unknown } | { close(): unknown } | { stop(): unknown };

/**
 * A real stack for one test file: its own redis-server (AOF, fsync always, so a restart loses nothing),
 * gateways and workers as built processes, on free ports. Logs go to a temp dir, removed at the end
 * unless KEEP_E2E_STATE is set (then its path is printed, to read the logs of a failed run).
 */
export class E2eStack {
  readonly stack: LocalStack;
  private readonly stateDir: string;
  private readonly openedByTests: Closable[] = [];

  constructor(options: E2eStackOptions = {}) {
    this.stateDir = mkdtempSync(join(tmpdir(), 'jobcast-e2e-'));
    this.stack = new LocalStack({
      port: 0,
      gateways: options.gateways ?? 2,
      workers: options.workers ?? 1,
      stateDir: this.stateDir,
      redisAppendFsync: 'always',
      lb: options.lb ? { port: 0, streamsPerAddress: options.lbStreamsPerAddress } : undefined,
      cluster: options.clusterMasters ? { masters: options.clusterMasters } : undefined,
      env: {
        JWT_SECRET: TEST_JWT_SECRET,
        DEV_TOKENS: '1',
        LOG_LEVEL: 'info',
        // Fast enough that demo.steps at 50 ms per step is never coalesced; throttling has its own test.
        PROGRESS_MAX_HZ: '100',
        WORKER_LOCK: '4000',
        WORKER_STALLED_INTERVAL: '2000',
        SHUTDOWN_GRACE: '5000',
        // Limits have their own tests; the others submit and subscribe freely.
        SUBMIT_RATE_PER_MINUTE: '100000',
        SOCKET_SUBSCRIBE_RATE: '100000',
        MAX_ACTIVE_JOBS_PER_USER: '100000',
        ...options.env,
      },
    });
  }

  async start(): Promise<this> {
    await this.stack.start();
    return this;
  }

  url(gateway = 0): string {
    const url = this.stack.gatewayUrls[gateway];
    if (!url) throw new Error(`no gateway ${gateway}`);
    return url;
  }

  /** The load balancer's URL, for a stack started with `lb`. */
  lbUrl(): string {
    const url = this.stack.lbUrl;
    if (!url) throw new Error('no load balancer: start the stack with `lb: true`');
    return url;
  }

  /** Closes `resource` when the stack stops, so a test that fails halfway leaves nothing open behind it. */
  closeAtStop<T extends Closable>(resource: T): T {
    this.openedByTests.push(resource);
    return resource;
  }

  /** Closes what tests opened so far: for a test that needs none of it left, and at the stack's stop. */
  closeOpened(): void {
    for (const resource of this.openedByTests.splice(0)) {
      if ('disconnect' in resource) resource.disconnect();
      else if ('close' in resource) resource.close();
      else resource.stop();
    }
  }

  async stop(): Promise<void> {
    this.closeOpened();
    await this.stack.stop();
    if (process.env.KEEP_E2E_STATE) process.stderr.write(`e2e state and logs kept in ${this.stateDir}\n`);
    else rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * A stack for the tests of the enclosing `describe`: started before the first, stopped (with everything
 * handed to `closeAtStop`) after the last.
 */
export function useE2eStack(options: E2eStackOptions = {}): E2eStack {
  const stack = new E2eStack(options);
  beforeAll(async () => {
    await stack.start();
  });
  afterAll(() => stack.stop());
  return stack;
}

/** A token as an identity provider would issue it. */
export function signToken(
  sub: string,
  options: { tenant?: string; expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  return new SignJWT({ ...(options.tenant && { tenant: options.tenant }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}
