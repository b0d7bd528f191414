import { describe, expect, it } from 'vitest';
import { feedsOfJob, tenantOfOwnerKey } from './feeds-of-job';

describe('feedsOfJob', () => {
  it("names the owner's feed, each tag's for the owner and the tenant, and the batch's", () => {
    expect(feedsOfJob({ owner: 'acme:alice', tags: ['a', 'b'], batchId: 'b1' })).toEqual([
      { kind: 'owner', owner: 'acme:alice' },
      { kind: 'tag', owner: 'acme:alice', tag: 'a' },
      { kind: 'tenant-tag', tenant: 'acme', tag: 'a' },
      { kind: 'tag', owner: 'acme:alice', tag: 'b' },
      { kind: 'tenant-tag', tenant: 'acme', tag: 'b' },
      { kind: 'batch', batchId: 'b1' },
    ]);
    expect(feedsOfJob({ owner: ':bob' })).toEqual([{ kind: 'owner', owner: ':bob' }]);
  });

  it('reads the tenant of an owner key, none as empty', () => {
    expect(tenantOfOwnerKey('acme:alice')).toBe('acme');
    expect(tenantOfOwnerKey(':alice')).toBe('');
    expect(tenantOfOwnerKey('a%3Ab:c%3Ad')).toBe('a%3Ab');
  });
});
