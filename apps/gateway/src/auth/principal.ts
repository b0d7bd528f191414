/** Who a request or socket acts for, from a verified token. */
export interface Principal {
  sub: string;
  tenant?: string;
  /** The token's `exp`, in ms since epoch. */
  expiresAt: number;
}

/**
 * The owner key of a principal's jobs. Each part is URI-encoded, so no sub or tenant can collide with
 * another or break the Redis hash tag the owner is wrapped in.
 */
export function ownerOf(principal: Pick<Principal, 'sub' | 'tenant'>): string {
  return `${encodeURIComponent(principal.tenant ?? '')}:${encodeURIComponent(principal.sub)}`;
}
