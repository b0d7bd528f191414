import { OWN_FEED, type Feed } from '@jobcast/contracts';
import type { FeedIdentity } from '@jobcast/redis';
import { ownerOf, Scope, tenantOfOwner, type Principal, type ServicePrincipal } from './principal';

/**
 * Who may do what: every access rule of the gateway, for every HTTP route and every transport. Callers ask
 * the function of their action and act on its verdict; they decide nothing themselves. Anyone who may not
 * read a job is answered as if it did not exist (`not-found`, JOB_NOT_FOUND); one who may read it but not do
 * the thing asked is `forbidden` (403 FORBIDDEN).
 *
 * Rules are built from two questions about a reader: does it read every job of an owner (`readsOwner`), and
 * does it read this one resource by a grant of its own (a watch token's job, a publisher's external jobs).
 * Resources other than one job belong beside the job's functions, from the same two questions: a batch is
 * owned like a job; a feed of an owner's jobs, or of a tag within them, is readable by whoever reads that
 * owner (for a service, a tenant's owners).
 */

/** Why an action is refused, and so how it is answered. */
export type Refusal = { readonly permitted: false; readonly answer: 'not-found' } | Forbidden;
export interface Forbidden {
  readonly permitted: false;
  readonly answer: 'forbidden';
  readonly reason: string;
}

/** What the rules read of a batch; a `BatchRecord` (libs/job-feeds) is one. A batch is owned like a job. */
export interface BatchResource {
  readonly owner: string;
  readonly snapshot: { readonly id: string };
}

/** A permitted action on a batch carries the batch. */
export type BatchVerdict<Batch extends BatchResource> = { readonly permitted: true; readonly batch: Batch } | Refusal;

/** A permitted action on a job carries the job, so its caller goes on with one that is there. */
export type JobVerdict<Job extends JobResource> = { readonly permitted: true; readonly job: Job } | Refusal;

/** What the rules read of a job; a `JobRecord` is one. */
export interface JobResource {
  /** Whose job it is: the `ownerOf` key of the user (or service) it was submitted for. */
  readonly owner: string;
  readonly snapshot: { readonly id: string; readonly batchId?: string };
  /** An external job's: the `ownerOf` key of the service that created it. */
  readonly external?: { readonly publisher: string };
}

/**
 * What a principal may read, in one small value: every connection keeps it for its lifetime, tens of
 * thousands of idle ones at a time, so it holds only what the read rules need (an object of one or two
 * strings, about the size of the owner key alone). Compare two with `sameReadAccess`; key maps with
 * `readAccessKey`.
 */
export type ReadAccess =
  /** A user: their own jobs. */
  | { readonly kind: 'owner'; readonly owner: string }
  /** A watch token: its one job. */
  | { readonly kind: 'job'; readonly jobId: string }
  /** A watch token of a batch: the batch and each of its jobs. */
  | { readonly kind: 'batch'; readonly batchId: string }
  /**
   * A `jobs:read` service: every job of its tenant (encoded as in owner keys), of every tenant when it has
   * none, and the external jobs it created.
   */
  | { readonly kind: 'tenant'; readonly tenant: string | undefined; readonly service: string }
  /** A `jobs:publish` service without `jobs:read`: the external jobs it created. */
  | { readonly kind: 'publisher'; readonly service: string }
  /** A service that may read nothing. */
  | { readonly kind: 'nothing' };

const NOT_FOUND: Refusal = { permitted: false, answer: 'not-found' };
const READS_NOTHING: ReadAccess = { kind: 'nothing' };

function forbidden(reason: string): Forbidden {
  return { permitted: false, answer: 'forbidden', reason };
}

/** What the token may read; connections keep it (`WatcherState.reader`) for as long as they are open. */
export function readAccessOf(principal: Principal): ReadAccess {
  switch (principal.kind) {
    case 'user':
      return { kind: 'owner', owner: ownerOf(principal) };
    case 'watch':
      return 'batchId' in principal
        ? { kind: 'batch', batchId: principal.batchId }
        : { kind: 'job', jobId: principal.jobId };
    case 'service':
      if (principal.scopes.has(Scope.READ)) {
        return { kind: 'tenant', tenant: encodedTenant(principal), service: ownerOf(principal) };
      }
      return principal.scopes.has(Scope.PUBLISH) ? { kind: 'publisher', service: ownerOf(principal) } : READS_NOTHING;
  }
}

/** Whether two read accesses read the same jobs: a renewed token must read what the one it renews did. */
export function sameReadAccess(a: ReadAccess, b: ReadAccess): boolean {
  return readAccessKey(a) === readAccessKey(b);
}

/** A string naming the reader, equal for equal accesses: one user's (one service's, one job's) streams share it. */
export function readAccessKey(access: ReadAccess): string {
  switch (access.kind) {
    case 'owner':
      return `owner ${access.owner}`;
    case 'job':
      return `job ${access.jobId}`;
    case 'batch':
      return `batch ${access.batchId}`;
    case 'tenant':
      // `%` alone is no encoded tenant: it stands for every tenant.
      return `tenant ${access.tenant ?? '%'} ${access.service}`;
    case 'publisher':
      return `publisher ${access.service}`;
    case 'nothing':
      return 'nothing';
  }
}

/** Read and watch a job (HTTP, Socket.IO, SSE, plain WebSocket). */
export function mayReadJob(access: ReadAccess, job: JobResource): boolean {
  switch (access.kind) {
    case 'job':
      return job.snapshot.id === access.jobId;
    case 'batch':
      return job.snapshot.batchId !== undefined && job.snapshot.batchId === access.batchId;
    case 'publisher':
      return job.external?.publisher === access.service;
    case 'tenant':
      return readsOwner(access, job.owner) || job.external?.publisher === access.service;
    case 'owner':
    case 'nothing':
      return readsOwner(access, job.owner);
  }
}

/**
 * Whether the access reads every job of this owner: the rule any view of many jobs builds on (a feed of an
 * owner's jobs, or of a tag within them, is readable when this holds; a batch, owned like a job, too).
 */
function readsOwner(access: ReadAccess, owner: string): boolean {
  if (access.kind === 'owner') return access.owner === owner;
  if (access.kind === 'tenant') return access.tenant === undefined || access.tenant === tenantOfOwner(owner);
  return false;
}

/** A permitted feed subscription carries the feed it reads, as the feed store names it. */
export type FeedVerdict = { readonly permitted: true; readonly feed: FeedIdentity } | Refusal;

/**
 * Subscribe to a feed (Socket.IO, plain WebSocket, SSE). `{owner: "me"}`: a user's own jobs (a service's, the
 * jobs it submitted for itself); `{owner: sub}`: a user's, for a service that may read (within its tenant;
 * one of every tenant names a user of none). `{tag}`: the caller's jobs with the tag; a service that may read,
 * its tenant's. `{batch}`: a batch the caller may read (`mayReadBatch`: its owner's reader, or the batch's
 * watch token); `batch` is null when there is none, and a batch it may not read is answered as if there were
 * none. Any other watch token, or a service that may not read, reads no feed.
 */
export function readFeed(access: ReadAccess, feed: Feed, batch?: BatchResource | null): FeedVerdict {
  if ('batch' in feed) {
    return batch && mayReadBatch(access, batch)
      ? { permitted: true, feed: { kind: 'batch', batchId: feed.batch } }
      : NOT_FOUND;
  }
  if (access.kind !== 'owner' && access.kind !== 'tenant') return forbidden('This token reads no feed');
  if ('tag' in feed) {
    if (access.kind === 'owner') return { permitted: true, feed: { kind: 'tag', owner: access.owner, tag: feed.tag } };
    return { permitted: true, feed: { kind: 'tenant-tag', tenant: access.tenant ?? '', tag: feed.tag } };
  }
  const own = access.kind === 'owner' ? access.owner : access.service;
  if (feed.owner === OWN_FEED) return { permitted: true, feed: { kind: 'owner', owner: own } };
  if (access.kind === 'owner') {
    // An owner key is `<tenant>:<sub>`, each encoded, so what follows its first `:` is the user's sub.
    if (access.owner.slice(access.owner.indexOf(':') + 1) === encodeURIComponent(feed.owner)) {
      return { permitted: true, feed: { kind: 'owner', owner: access.owner } };
    }
    return forbidden('A user token reads its own feed only: {"owner": "me"}');
  }
  // Within the service's tenant, encoded as `ownerOf` encodes both parts.
  return {
    permitted: true,
    feed: { kind: 'owner', owner: `${access.tenant ?? ''}:${encodeURIComponent(feed.owner)}` },
  };
}

/** `GET /jobs/:id`. Here and below, `job` is null when there is none. */
export function readJob<Job extends JobResource>(principal: Principal, job: Job | null): JobVerdict<Job> {
  return job && mayReadJob(readAccessOf(principal), job) ? { permitted: true, job } : NOT_FOUND;
}

/** Cancel: the job's owner, or a `jobs:submit` service within the job's tenant; either must read it. */
export function cancelJob<Job extends JobResource>(principal: Principal, job: Job | null): JobVerdict<Job> {
  const read = readJob(principal, job);
  if (!read.permitted) return read;
  if (principal.kind === 'user' && read.job.owner === ownerOf(principal)) return read;
  if (principal.kind === 'service' && principal.scopes.has(Scope.SUBMIT) && withinTenant(principal, read.job.owner)) {
    return read;
  }
  return forbidden('This token may not cancel the job');
}

/** `POST /jobs/:id/watch-token`: anyone who may read the job but a watch token. */
export function mintWatchToken<Job extends JobResource>(principal: Principal, job: Job | null): JobVerdict<Job> {
  if (principal.kind === 'watch') return forbidden('A watch token cannot make other tokens');
  return readJob(principal, job);
}

/**
 * Report an external job's events: a `jobs:publish` service that created it, or one of the job's tenant. A
 * publishing service that may read the job but not report it (a worker-run job) is forbidden.
 */
export function appendEvents<Job extends JobResource>(principal: Principal, job: Job | null): JobVerdict<Job> {
  if (principal.kind !== 'service' || !principal.scopes.has(Scope.PUBLISH)) {
    return forbidden('Only a jobs:publish service reports events');
  }
  if (!job) return NOT_FOUND;
  const reports =
    job.external !== undefined &&
    (job.external.publisher === ownerOf(principal) ||
      (principal.tenant !== undefined && tenantOfOwner(job.owner) === encodedTenant(principal)));
  if (reports) return { permitted: true, job };
  if (!mayReadJob(readAccessOf(principal), job)) return NOT_FOUND;
  return forbidden('Only the service that created an external job, or one of its tenant, reports it');
}

/** Read a batch (`GET /batches/:id`, `GET /jobs?batch=`): whoever reads its owner's jobs, or its watch token. */
export function mayReadBatch(access: ReadAccess, batch: BatchResource): boolean {
  if (access.kind === 'batch') return access.batchId === batch.snapshot.id;
  return readsOwner(access, batch.owner);
}

/** `GET /batches/:id`. `batch` is null when there is none; a batch one may not read answers as missing. */
export function readBatch<Batch extends BatchResource>(principal: Principal, batch: Batch | null): BatchVerdict<Batch> {
  return batch && mayReadBatch(readAccessOf(principal), batch) ? { permitted: true, batch } : NOT_FOUND;
}

/** `POST /batches/:id/cancel`: as for one job, its owner or a `jobs:submit` service within its tenant. */
export function cancelBatch<Batch extends BatchResource>(
  principal: Principal,
  batch: Batch | null,
): BatchVerdict<Batch> {
  const read = readBatch(principal, batch);
  if (!read.permitted) return read;
  if (principal.kind === 'user' && read.batch.owner === ownerOf(principal)) return read;
  if (principal.kind === 'service' && principal.scopes.has(Scope.SUBMIT) && withinTenant(principal, read.batch.owner)) {
    return read;
  }
  return forbidden('This token may not cancel the batch');
}

/** `POST /batches/:id/watch-token`: anyone who may read the batch but a watch token. */
export function mintBatchWatchToken<Batch extends BatchResource>(
  principal: Principal,
  batch: Batch | null,
): BatchVerdict<Batch> {
  if (principal.kind === 'watch') return forbidden('A watch token cannot make other tokens');
  return readBatch(principal, batch);
}

/** What a listing asks for, as far as access goes. */
export interface ListAccessRequest {
  /** A user's jobs, by a service (`owner=<sub>`, within the service's tenant). */
  readonly owner?: { readonly sub: string; readonly tenant?: string };
  readonly tag?: string;
  readonly batch?: string;
}

/**
 * Which jobs a permitted listing reads its candidates from, newest first: an owner's, an owner's with a
 * tag, a tenant's with a tag, or a batch's (whose access is then `readBatch` on its record).
 */
export type ListingSource =
  | { readonly kind: 'owner'; readonly owner: string }
  | { readonly kind: 'owner-tag'; readonly owner: string; readonly tag: string }
  | { readonly kind: 'tenant-tag'; readonly tenant: string; readonly tag: string }
  | { readonly kind: 'batch'; readonly batchId: string };

/**
 * `GET /jobs`: a user lists its own jobs; a watch token of a batch lists that batch; a `jobs:read` service
 * names what it lists, so that no listing scans a tenant: a user (`owner`, within its tenant), a tag (its
 * tenant's jobs with it; a service of every tenant: those of users without a tenant) or a batch. Anyone
 * may name a batch; reading it is then `readBatch`'s rule.
 */
export function listJobs(
  principal: Principal,
  request: ListAccessRequest,
): { readonly permitted: true; readonly source: ListingSource } | Forbidden {
  if (request.batch !== undefined) {
    if (principal.kind === 'watch' && !('batchId' in principal)) return forbidden('A watch token only reads its job');
    return { permitted: true, source: { kind: 'batch', batchId: request.batch } };
  }
  if (principal.kind === 'watch') return forbidden('A watch token lists only its batch (`batch=`)');
  const ofOwner = (owner: string): ListingSource =>
    request.tag === undefined ? { kind: 'owner', owner } : { kind: 'owner-tag', owner, tag: request.tag };
  if (principal.kind === 'user') {
    const owner = ownerOf(principal);
    if (request.owner && ownerOf({ tenant: principal.tenant, ...request.owner }) !== owner) {
      return forbidden('A user token lists its own jobs only');
    }
    return { permitted: true, source: ofOwner(owner) };
  }
  if (!principal.scopes.has(Scope.READ)) return forbidden('Only a jobs:read service lists jobs');
  if (request.owner) {
    const tenant = request.owner.tenant ?? principal.tenant;
    if (principal.tenant !== undefined && tenant !== principal.tenant) {
      return forbidden(`This token acts within tenant ${principal.tenant} only`);
    }
    const owner = ownerOf({ sub: request.owner.sub, ...(tenant !== undefined && { tenant }) });
    return { permitted: true, source: ofOwner(owner) };
  }
  if (request.tag !== undefined) {
    return {
      permitted: true,
      source: { kind: 'tenant-tag', tenant: encodedTenant(principal) ?? '', tag: request.tag },
    };
  }
  return forbidden('A service lists a user’s jobs (`owner`), a tag’s (`tag`) or a batch’s (`batch`)');
}

/** What a submit asks for, as far as access goes. */
export interface SubmitAccessRequest {
  /** The user the job is for, when not the caller. */
  readonly owner?: { readonly sub: string; readonly tenant?: string };
  /** A job the caller runs itself and reports, rather than a worker. */
  readonly external?: boolean;
}

/**
 * A permitted submit: who the job is for (`owner`, an owner key); for an external job, who reports it
 * (`publisher`, the service's own owner key); whether the answer carries a watch token of the job (a
 * service's, to hand to a browser).
 */
export type SubmitGrant = { readonly permitted: true; readonly owner: string; readonly watchToken: boolean } & (
  { readonly external: false } | { readonly external: true; readonly publisher: string }
);

/** `POST /batches`: as `POST /jobs` for a job a worker runs; a service's answer carries a watch token of the batch. */
export function submitBatch(
  principal: Principal,
  request: Pick<SubmitAccessRequest, 'owner'>,
): (SubmitGrant & { readonly external: false }) | Forbidden {
  const grant = submitJob(principal, { ...(request.owner && { owner: request.owner }) });
  if (!grant.permitted || grant.external) return grant.permitted ? forbidden('A batch holds no external jobs') : grant;
  return grant;
}

/**
 * `POST /jobs`: a user for itself only, never external; a `jobs:submit` service (`jobs:publish` for an
 * external job) for itself or for the named owner within its tenant (an owner without a tenant is in the
 * service's). A watch token never.
 */
export function submitJob(principal: Principal, request: SubmitAccessRequest): SubmitGrant | Forbidden {
  if (principal.kind === 'watch') return forbidden('A watch token only reads its job');
  if (principal.kind === 'user') {
    if (request.external) return forbidden('Only a jobs:publish service creates external jobs');
    const owner = ownerOf(principal);
    if (request.owner && ownerOf(request.owner) !== owner) {
      return forbidden('A user token submits for its own user only');
    }
    return { permitted: true, owner, watchToken: false, external: false };
  }
  const needed = request.external ? Scope.PUBLISH : Scope.SUBMIT;
  if (!principal.scopes.has(needed)) return forbidden(`This token lacks the ${needed} scope`);
  let owner = ownerOf(principal);
  if (request.owner) {
    const tenant = request.owner.tenant ?? principal.tenant;
    if (principal.tenant !== undefined && tenant !== principal.tenant) {
      return forbidden(`This token acts within tenant ${principal.tenant} only`);
    }
    owner = ownerOf({ sub: request.owner.sub, ...(tenant !== undefined && { tenant }) });
  }
  if (!request.external) return { permitted: true, owner, watchToken: true, external: false };
  return { permitted: true, owner, watchToken: true, external: true, publisher: ownerOf(principal) };
}

/** Whether the owner is in the service's tenant; a service without one spans every tenant. */
function withinTenant(principal: ServicePrincipal, owner: string): boolean {
  return principal.tenant === undefined || tenantOfOwner(owner) === encodedTenant(principal);
}

/** The service's tenant as owner keys encode it, or undefined for a service of every tenant. */
function encodedTenant(principal: ServicePrincipal): string | undefined {
  return principal.tenant === undefined ? undefined : encodeURIComponent(principal.tenant);
}
