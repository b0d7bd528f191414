import type { FeedIdentity } from '@jobcast/redis';

/** What decides the feeds a job is in; all of it is fixed when the job is created. */
export interface FeedMembership {
  /** The job's owner key, `<tenant>:<sub>` with each part URI-encoded (the gateway's `ownerOf`). */
  owner: string;
  tags?: readonly string[];
  batchId?: string;
}

/**
 * The tenant part of an owner key, as encoded ('' for no tenant). Owner keys are made by the gateway's
 * `ownerOf`, whose encoding leaves no `:` in either part; a worker has only the key, so it reads it here.
 */
export function tenantOfOwnerKey(owner: string): string {
  return owner.slice(0, Math.max(owner.indexOf(':'), 0));
}

/**
 * Every feed a job belongs to: its owner's; for each tag, the owner's tag feed and the tenant's (which a
 * service that may read subscribes to); its batch's.
 */
export function feedsOfJob(job: FeedMembership): FeedIdentity[] {
  const tenant = tenantOfOwnerKey(job.owner);
  return [
    { kind: 'owner', owner: job.owner },
    ...(job.tags ?? []).flatMap((tag): FeedIdentity[] => [
      { kind: 'tag', owner: job.owner, tag },
      { kind: 'tenant-tag', tenant, tag },
    ]),
    ...(job.batchId !== undefined ? [{ kind: 'batch', batchId: job.batchId } as const] : []),
  ];
}
