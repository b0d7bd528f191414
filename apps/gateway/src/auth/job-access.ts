import type { JobRecord } from '@jobcast/job-log';
import { ownerOf, Scope, tenantOfOwner, type Principal, type ServicePrincipal } from './principal';

const ANY_TENANT = '%';

/**
 * Who may do what to a job: the one place these rules live, for every HTTP route and every transport.
 * Anyone who may not read a job is answered as if it did not exist (JOB_NOT_FOUND); one who may read it
 * but not do the thing asked gets 403 FORBIDDEN.
 */

/**
 * A principal's read access in one string, cheap to keep per socket: `u <owner>` reads that owner's jobs,
 * `w <jobId>` one job, `s <tenant> <service owner>` a reading service's (every tenant's for `%`, which no encoded tenant is), `p <service
 * owner>` only the external jobs a publishing service created, and `-` nothing.
 */
export function readerKey(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `u ${ownerOf(principal)}`;
    case 'watch':
      return `w ${principal.jobId}`;
    case 'service': {
      if (principal.scopes.has(Scope.READ)) return `s ${tenantKey(principal)} ${ownerOf(principal)}`;
      return principal.scopes.has(Scope.PUBLISH) ? `p ${ownerOf(principal)}` : '-';
    }
  }
}

/** Whether the holder of this reader key may read and watch the job. */
export function mayRead(reader: string, record: JobRecord): boolean {
  const kind = reader[0];
  const rest = reader.slice(2);
  if (kind === 'u') return record.owner === rest;
  if (kind === 'w') return record.snapshot.id === rest;
  if (kind === 'p') return record.external?.publisher === rest;
  if (kind !== 's') return false;
  const [tenant, service] = rest.split(' ');
  return tenant === ANY_TENANT || tenant === tenantOfOwner(record.owner) || record.external?.publisher === service;
}

/** Cancel: the job's owner, or a submitting service within its tenant. */
export function mayCancel(principal: Principal, record: JobRecord): boolean {
  if (principal.kind === 'user') return record.owner === ownerOf(principal);
  return principal.kind === 'service' && principal.scopes.has(Scope.SUBMIT) && withinTenant(principal, record);
}

/** Appending events: a publishing service that created the external job, or one of the job's tenant. */
export function mayPublish(principal: Principal, record: JobRecord): boolean {
  if (principal.kind !== 'service' || !principal.scopes.has(Scope.PUBLISH) || !record.external) return false;
  return (
    record.external.publisher === ownerOf(principal) ||
    (principal.tenant !== undefined && tenantOfOwner(record.owner) === encodeURIComponent(principal.tenant))
  );
}

function withinTenant(principal: ServicePrincipal, record: JobRecord): boolean {
  return principal.tenant === undefined || tenantOfOwner(record.owner) === encodeURIComponent(principal.tenant);
}

function tenantKey(principal: ServicePrincipal): string {
  return principal.tenant === undefined ? ANY_TENANT : encodeURIComponent(principal.tenant);
}
