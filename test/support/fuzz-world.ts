/**
 * What a fuzz run knows of the gateway under test: callers' credentials and whom each makes the caller, and
 * the jobs seeded before the fuzz, with their owners.
 */
import { TERMINAL_STATUSES, type JobSnapshot } from '@jobcast/contracts';
import { SignJWT, UnsecuredJWT } from 'jose';
import { TEST_JWT_SECRET, signToken } from './e2e-stack';
import { request, submitJob, waitForEnd } from './http-api';

export interface FuzzWorld {
  credentials: Record<string, Credential>;
  /** Job id → owner, for every job the test knows of. */
  owners: Map<string, string>;
  aliceJobs: string[];
  bobJobs: string[];
  acmeJobs: string[];
  /** A long job of alice's, live while the fuzz runs (`keepRunning` replaces it once it has ended). */
  running: string;
  /** The last seq of each seeded job that has ended: what an SSE resume at the end must answer 204 to. */
  endedAt: Map<string, number>;
}

// Credentials: who a header or a token makes the caller, as the gateway must see it.

export interface Credential {
  /** The Authorization header, if any. */
  header?: string;
  /** The token alone, for `?access_token=` and the Socket.IO handshake. */
  token?: string;
  /** The owner the gateway must act for, or null when it must refuse. */
  principal: string | null;
  /** Whom the token alone names (for `?access_token=` and handshakes), or null when it is not valid. */
  tokenPrincipal?: string | null;
  /** Whether the header's scheme is Bearer (otherwise SSE falls back to `?access_token=`). */
  bearer: boolean;
}

/** Whom the token alone (not the header) makes the caller, or null. */
export function tokenPrincipal(credential: Credential): string | null {
  if (credential.token === undefined) return null;
  return credential.tokenPrincipal !== undefined ? credential.tokenPrincipal : credential.principal;
}

/** A credential of each kind the fuzz sends: valid ones, forged, expired, malformed, and none. */
export async function makeCredentials(): Promise<Record<string, Credential>> {
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const alice = await signToken('alice');
  const bob = await signToken('bob');
  const aliceAtAcme = await signToken('alice', { tenant: 'acme' });
  const refused = (token: string): Credential => ({ header: `Bearer ${token}`, token, principal: null, bearer: true });
  const [head, , signature] = alice.split('.');
  const [, bobClaims] = bob.split('.');
  return {
    none: { principal: null, bearer: false },
    alice: { header: `Bearer ${alice}`, token: alice, principal: 'alice', bearer: true },
    'alice-lowercase-scheme': { header: `bearer ${alice}`, token: alice, principal: 'alice', bearer: true },
    'alice-trailing-word': { header: `Bearer ${alice} extra`, token: alice, principal: 'alice', bearer: true },
    'alice-at-acme': { header: `Bearer ${aliceAtAcme}`, token: aliceAtAcme, principal: 'acme:alice', bearer: true },
    bob: { header: `Bearer ${bob}`, token: bob, principal: 'bob', bearer: true },
    expired: refused(await signToken('alice', { expiresIn: Math.floor(Date.now() / 1000) - 3600 })),
    'wrong-secret': refused(await signToken('alice', { secret: 'not-the-secret-0123456789abcdef0123456789' })),
    'alg-none': refused(new UnsecuredJWT({}).setSubject('alice').setExpirationTime('1h').encode()),
    'no-sub': refused(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secret)),
    'no-exp': refused(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(secret)),
    'sub-not-a-string': refused(
      await new SignJWT({ sub: 42 } as unknown as Record<string, unknown>)
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(secret),
    ),
    'bob-claims-alice-signature': refused(`${head}.${bobClaims}.${signature}`),
    truncated: refused(alice.slice(0, -4)),
    huge: refused('a'.repeat(9000)),
    'scheme-only': { header: 'Bearer', principal: null, bearer: true },
    'scheme-space': { header: 'Bearer ', principal: null, bearer: true },
    'double-space': {
      header: `Bearer  ${alice}`,
      token: alice,
      principal: null,
      tokenPrincipal: 'alice',
      bearer: true,
    },
    basic: { header: 'Basic YWxpY2U6c2VjcmV0', principal: null, bearer: false },
    'no-scheme': { header: alice, token: alice, principal: null, tokenPrincipal: 'alice', bearer: false },
  };
}

/**
 * The world a fuzz run starts from, on the gateway at `baseUrl`: finished jobs of alice, bob and alice at
 * acme, and one long job of alice's still running, so that subscriptions and streams see live events.
 */
export async function seedWorld(baseUrl: string): Promise<FuzzWorld> {
  const world: FuzzWorld = {
    credentials: await makeCredentials(),
    owners: new Map(),
    aliceJobs: [],
    bobJobs: [],
    acmeJobs: [],
    running: '',
    endedAt: new Map(),
  };
  const token = (name: string) => world.credentials[name]?.token ?? '';
  const tiny = { type: 'demo.steps', payload: { steps: 2, intervalMs: 5 } };
  for (const [owner, credential, list] of [
    ['alice', 'alice', world.aliceJobs],
    ['alice', 'alice', world.aliceJobs],
    ['alice', 'alice', world.aliceJobs],
    ['bob', 'bob', world.bobJobs],
    ['bob', 'bob', world.bobJobs],
    ['acme:alice', 'alice-at-acme', world.acmeJobs],
  ] as const) {
    const job = await submitJob(baseUrl, token(credential), tiny);
    list.push(job.id);
    world.owners.set(job.id, owner);
  }
  await keepRunning(world, baseUrl);
  for (const [ids, credential] of [
    [world.aliceJobs, 'alice'],
    [world.bobJobs, 'bob'],
    [world.acmeJobs, 'alice-at-acme'],
  ] as const) {
    for (const id of ids) world.endedAt.set(id, (await waitForEnd(baseUrl, token(credential), id)).lastSeq);
  }
  return world;
}

/**
 * Makes sure alice has a long job running, so subscriptions and SSE streams see live events: a new one when
 * there is none yet, or when the last one ended (a fuzz cancel, or a sweep of many seeds outlasting it).
 */
export async function keepRunning(world: FuzzWorld, baseUrl: string): Promise<void> {
  const token = world.credentials.alice?.token ?? '';
  if (world.running !== '') {
    const { body } = await request<JobSnapshot>(`${baseUrl}/jobs/${world.running}`, { token });
    if (!TERMINAL_STATUSES.includes(body.status)) return;
  }
  const running = await submitJob(baseUrl, token, { type: 'demo.steps', payload: { steps: 600, intervalMs: 100 } });
  world.running = running.id;
  world.owners.set(running.id, 'alice');
}
