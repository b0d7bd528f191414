/** What a service token may do, from its `scope` claim (space-separated, as OAuth 2 access tokens carry it). */
export const Scope = {
  /** `POST /jobs` for a user (`owner`), who then lists, watches and cancels the job as their own. */
  SUBMIT: 'jobs:submit',
  /** Read and watch any job (of its tenant, when it has one). */
  READ: 'jobs:read',
  /** Create external jobs and report their events over HTTP. */
  PUBLISH: 'jobs:publish',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/**
 * Who a request or socket acts for, from a verified token: a user (no `scope` claim: their own jobs, as
 * always), a service (a `scope` claim, bounded by its `tenant` when it has one), or a watch token (one job,
 * read-only).
 */
export type Principal = UserPrincipal | ServicePrincipal | WatchPrincipal;

interface Expiring {
  /** The token's `exp`, in ms since epoch. */
  expiresAt: number;
}

export interface UserPrincipal extends Expiring {
  kind: 'user';
  sub: string;
  tenant?: string;
}

export interface ServicePrincipal extends Expiring {
  kind: 'service';
  sub: string;
  tenant?: string;
  scopes: ReadonlySet<Scope>;
}

/** A watch token: of one job, or of a batch (which reads the batch and each of its jobs). */
export type WatchPrincipal = JobWatchPrincipal | BatchWatchPrincipal;

export interface JobWatchPrincipal extends Expiring {
  kind: 'watch';
  jobId: string;
}

export interface BatchWatchPrincipal extends Expiring {
  kind: 'watch';
  batchId: string;
}

/**
 * The owner key of a user's jobs (or a service's own). Each part is URI-encoded, so no sub or tenant can
 * collide with another or break the Redis hash tag the owner is wrapped in.
 */
export function ownerOf(identity: { sub: string; tenant?: string }): string {
  return `${encodeURIComponent(identity.tenant ?? '')}:${encodeURIComponent(identity.sub)}`;
}

/** The tenant part of an owner key, as encoded. */
export function tenantOfOwner(owner: string): string {
  return owner.slice(0, owner.indexOf(':'));
}
