import { describe, expect, it } from 'vitest';
import {
  appendEvents,
  cancelBatch,
  cancelJob,
  listJobs,
  mayReadJob,
  mintBatchWatchToken,
  mintWatchToken,
  readAccessKey,
  readAccessOf,
  readFeed,
  readBatch,
  readJob,
  sameReadAccess,
  submitBatch,
  submitJob,
  type BatchResource,
  type FeedVerdict,
  type BatchVerdict,
  type JobResource,
  type JobVerdict,
} from './access-policy';
import type { Feed } from '@jobcast/contracts';
import { ownerOf, Scope, type Principal } from './principal';

const expiresAt = Date.now() + 60_000;
const user = (sub: string, tenant?: string): Principal => ({ kind: 'user', sub, ...(tenant && { tenant }), expiresAt });
const service = (scopes: Scope[], tenant?: string): Principal => ({
  kind: 'service',
  sub: 'svc',
  ...(tenant && { tenant }),
  scopes: new Set(scopes),
  expiresAt,
});
const job = (id: string, owner: string, publisher?: string): JobResource => ({
  owner,
  snapshot: { id },
  ...(publisher !== undefined && { external: { publisher } }),
});

/**
 * The world every row is read against. Tenant acme: users alice and bob, the service `svc` under test and
 * its colleague; tenant globex: carol. Columns, in this order:
 * - own: alice's job (the user under test; the job a watch token watches);
 * - same tenant: bob's;
 * - other tenant: carol's;
 * - published: an external job for alice that the service under test created (for a user or a watch token,
 *   one `acme:svc` created);
 * - colleague's: an external job for bob that another acme service created;
 * - other tenant's external: one for carol that a globex service created;
 * - gone: a job that does not exist (or no longer).
 */
function resources(principal: Principal): Array<JobResource | null> {
  const publisher = principal.kind === 'service' ? ownerOf(principal) : 'acme:svc';
  return [
    job('own', 'acme:alice'),
    job('same-tenant', 'acme:bob'),
    job('other-tenant', 'globex:carol'),
    job('published', 'acme:alice', publisher),
    job('colleague', 'acme:bob', 'acme:colleague'),
    job('other-tenant-external', 'globex:carol', 'globex:other'),
    null,
  ];
}

/** Who a submit names: no one (the caller), a user of acme, a user of globex. */
const submitTargets = [undefined, { sub: 'bob', tenant: 'acme' }, { sub: 'carol', tenant: 'globex' }];

type Answer = 'ok' | 404 | 403;
/** A submit's answer: the owner key of the job, or a refusal. */
type SubmitAnswer = string | 403;

interface Row {
  principal: Principal;
  /** Per resource column. `read` is also watching, on every transport. */
  read: Answer[];
  cancel: Answer[];
  mint: Answer[];
  append: Answer[];
  list: 'ok' | 403;
  /** Per submit target. */
  submit: SubmitAnswer[];
  submitExternal: SubmitAnswer[];
}

/** The same answer for every job that exists, then the answer for one that does not. */
const all = (answer: Answer, gone: Answer = answer): Answer[] => [...Array<Answer>(6).fill(answer), gone];
const refused: SubmitAnswer[] = [403, 403, 403];

const table: Record<string, Row> = {
  'user alice of acme': {
    principal: user('alice', 'acme'),
    read: ['ok', 404, 404, 'ok', 404, 404, 404],
    cancel: ['ok', 404, 404, 'ok', 404, 404, 404],
    mint: ['ok', 404, 404, 'ok', 404, 404, 404],
    append: all(403),
    list: 'ok',
    submit: ['acme:alice', 403, 403],
    submitExternal: refused,
  },
  'watch token of alice’s job': {
    principal: { kind: 'watch', jobId: 'own', expiresAt },
    read: ['ok', 404, 404, 404, 404, 404, 404],
    cancel: [403, 404, 404, 404, 404, 404, 404],
    mint: all(403),
    append: all(403),
    list: 403,
    submit: refused,
    submitExternal: refused,
  },
  'service of acme with no scope it knows': {
    principal: service([], 'acme'),
    read: all(404),
    cancel: all(404),
    mint: all(404),
    append: all(403),
    list: 403,
    submit: refused,
    submitExternal: refused,
  },
  'service of acme, jobs:submit': {
    principal: service([Scope.SUBMIT], 'acme'),
    read: all(404),
    cancel: all(404),
    mint: all(404),
    append: all(403),
    list: 403,
    submit: ['acme:svc', 'acme:bob', 403],
    submitExternal: refused,
  },
  'service of acme, jobs:read': {
    principal: service([Scope.READ], 'acme'),
    read: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    cancel: [403, 403, 404, 403, 403, 404, 404],
    mint: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    append: all(403),
    list: 403,
    submit: refused,
    submitExternal: refused,
  },
  'service of acme, jobs:publish': {
    principal: service([Scope.PUBLISH], 'acme'),
    read: [404, 404, 404, 'ok', 404, 404, 404],
    cancel: [404, 404, 404, 403, 404, 404, 404],
    mint: [404, 404, 404, 'ok', 404, 404, 404],
    append: [404, 404, 404, 'ok', 'ok', 404, 404],
    list: 403,
    submit: refused,
    submitExternal: ['acme:svc', 'acme:bob', 403],
  },
  'service of acme, jobs:submit jobs:read': {
    principal: service([Scope.SUBMIT, Scope.READ], 'acme'),
    read: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    cancel: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    mint: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    append: all(403),
    list: 403,
    submit: ['acme:svc', 'acme:bob', 403],
    submitExternal: refused,
  },
  'service of acme, jobs:read jobs:publish': {
    principal: service([Scope.READ, Scope.PUBLISH], 'acme'),
    read: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    cancel: [403, 403, 404, 403, 403, 404, 404],
    mint: ['ok', 'ok', 404, 'ok', 'ok', 404, 404],
    append: [403, 403, 404, 'ok', 'ok', 404, 404],
    list: 403,
    submit: refused,
    submitExternal: ['acme:svc', 'acme:bob', 403],
  },
  'service of acme, jobs:submit jobs:publish': {
    principal: service([Scope.SUBMIT, Scope.PUBLISH], 'acme'),
    read: [404, 404, 404, 'ok', 404, 404, 404],
    cancel: [404, 404, 404, 'ok', 404, 404, 404],
    mint: [404, 404, 404, 'ok', 404, 404, 404],
    append: [404, 404, 404, 'ok', 'ok', 404, 404],
    list: 403,
    submit: ['acme:svc', 'acme:bob', 403],
    submitExternal: ['acme:svc', 'acme:bob', 403],
  },
  'service of every tenant, jobs:submit': {
    principal: service([Scope.SUBMIT]),
    read: all(404),
    cancel: all(404),
    mint: all(404),
    append: all(403),
    list: 403,
    submit: [':svc', 'acme:bob', 'globex:carol'],
    submitExternal: refused,
  },
  'service of every tenant, jobs:read': {
    principal: service([Scope.READ]),
    read: all('ok', 404),
    cancel: all(403, 404),
    mint: all('ok', 404),
    append: all(403),
    list: 403,
    submit: refused,
    submitExternal: refused,
  },
  'service of every tenant, jobs:submit jobs:read': {
    principal: service([Scope.SUBMIT, Scope.READ]),
    read: all('ok', 404),
    cancel: all('ok', 404),
    mint: all('ok', 404),
    append: all(403),
    list: 403,
    submit: [':svc', 'acme:bob', 'globex:carol'],
    submitExternal: refused,
  },
  'service of every tenant, jobs:publish': {
    principal: service([Scope.PUBLISH]),
    read: [404, 404, 404, 'ok', 404, 404, 404],
    cancel: [404, 404, 404, 403, 404, 404, 404],
    mint: [404, 404, 404, 'ok', 404, 404, 404],
    // Only its own: "one of the job's tenant" needs a tenant.
    append: [404, 404, 404, 'ok', 404, 404, 404],
    list: 403,
    submit: refused,
    submitExternal: [':svc', 'acme:bob', 'globex:carol'],
  },
};

function answer(verdict: JobVerdict<JobResource>): Answer {
  if (verdict.permitted) return 'ok';
  return verdict.answer === 'not-found' ? 404 : 403;
}

function submitAnswer(principal: Principal, owner: (typeof submitTargets)[number], external: boolean): SubmitAnswer {
  const grant = submitJob(principal, { ...(owner && { owner }), external });
  if (!grant.permitted) return 403;
  // An external job is reported by the service that created it; only a service's submit gets a watch token.
  expect(grant.external ? grant.publisher : undefined).toBe(
    external ? ownerOf(principal as { sub: string }) : undefined,
  );
  expect(grant.watchToken).toBe(principal.kind === 'service');
  return grant.owner;
}

describe.each(Object.entries(table))('%s', (_, row) => {
  const { principal } = row;
  const jobs = resources(principal);

  it('reads and watches', () => {
    expect(jobs.map((resource) => answer(readJob(principal, resource)))).toEqual(row.read);
    const access = readAccessOf(principal);
    expect(jobs.map((resource) => (resource && mayReadJob(access, resource) ? 'ok' : 404))).toEqual(row.read);
  });

  it('cancels', () => {
    expect(jobs.map((resource) => answer(cancelJob(principal, resource)))).toEqual(row.cancel);
  });

  it('mints watch tokens', () => {
    expect(jobs.map((resource) => answer(mintWatchToken(principal, resource)))).toEqual(row.mint);
  });

  it('reports events', () => {
    expect(jobs.map((resource) => answer(appendEvents(principal, resource)))).toEqual(row.append);
  });

  it('lists', () => {
    const verdict = listJobs(principal, {});
    expect(verdict.permitted ? 'ok' : 403).toBe(row.list);
    if (verdict.permitted) {
      expect(verdict.source).toEqual({ kind: 'owner', owner: ownerOf(principal as { sub: string }) });
    }
  });

  it('submits for itself, a user of acme, a user of globex', () => {
    expect(submitTargets.map((owner) => submitAnswer(principal, owner, false))).toEqual(row.submit);
    expect(submitTargets.map((owner) => submitAnswer(principal, owner, true))).toEqual(row.submitExternal);
  });
});

describe('submit owners', () => {
  it('puts an owner without a tenant in the service’s tenant, and a user naming itself must name its tenant', () => {
    expect(submitJob(service([Scope.SUBMIT], 'acme'), { owner: { sub: 'bob' } })).toMatchObject({ owner: 'acme:bob' });
    expect(submitJob(service([Scope.SUBMIT]), { owner: { sub: 'bob' } })).toMatchObject({ owner: ':bob' });
    expect(submitJob(user('alice', 'acme'), { owner: { sub: 'alice', tenant: 'acme' } })).toMatchObject({
      owner: 'acme:alice',
    });
    expect(submitJob(user('alice', 'acme'), { owner: { sub: 'alice' } })).toMatchObject({ permitted: false });
  });
});

describe('read access', () => {
  const later = (principal: Principal): Principal => ({ ...principal, expiresAt: expiresAt + 60_000 });
  const principals: Principal[] = [
    user('alice', 'acme'),
    user('alice'),
    user('bob', 'acme'),
    { kind: 'watch', jobId: 'own', expiresAt },
    { kind: 'watch', jobId: 'other', expiresAt },
    service([Scope.READ], 'acme'),
    service([Scope.READ]),
    // Encoded, the tenant "%" is "%25": not every tenant.
    service([Scope.READ], '%'),
    service([Scope.PUBLISH], 'acme'),
    service([Scope.SUBMIT], 'acme'),
  ];

  it('is the same for a renewed token of the same reader, and differs between readers', () => {
    for (const [i, a] of principals.entries()) {
      expect(sameReadAccess(readAccessOf(a), readAccessOf(later(a)))).toBe(true);
      for (const b of principals.slice(i + 1)) expect(sameReadAccess(readAccessOf(a), readAccessOf(b))).toBe(false);
    }
  });

  it('keys each reader apart', () => {
    const keys = principals.map((principal) => readAccessKey(readAccessOf(principal)));
    expect(new Set(keys).size).toBe(principals.length);
  });

  it('reads the same for services that differ only in what they may do besides reading', () => {
    const reader = readAccessOf(service([Scope.READ], 'acme'));
    expect(sameReadAccess(reader, readAccessOf(service([Scope.READ, Scope.SUBMIT], 'acme')))).toBe(true);
    expect(sameReadAccess(reader, readAccessOf(service([Scope.READ, Scope.PUBLISH], 'acme')))).toBe(true);
  });
});

/**
 * Feeds, in the same world. Columns: `{owner: "me"}`, `{owner: "bob"}`, `{tag: "t"}`, alice's batch, carol's
 * batch, a batch that does not exist. An answer names the feed read (`owner <key>`, `tag <owner>`,
 * `tenant-tag <tenant>`, `batch`), or the refusal.
 */
const feedsAsked: Array<{ feed: Feed; batch?: BatchResource | null }> = [
  { feed: { owner: 'me' } },
  { feed: { owner: 'bob' } },
  { feed: { tag: 't' } },
  { feed: { batch: 'b1' }, batch: { owner: 'acme:alice', snapshot: { id: 'b1' } } },
  { feed: { batch: 'b2' }, batch: { owner: 'globex:carol', snapshot: { id: 'b2' } } },
  { feed: { batch: 'b3' }, batch: null },
];
type FeedAnswer = string | 403 | 404;
const readsNoFeed: FeedAnswer[] = [403, 403, 403, 404, 404, 404];
const acmeReader: FeedAnswer[] = ['owner acme:svc', 'owner acme:bob', 'tenant-tag acme', 'batch', 404, 404];
const everyTenantReader: FeedAnswer[] = ['owner :svc', 'owner :bob', 'tenant-tag ', 'batch', 'batch', 404];
const feedTable: Record<string, FeedAnswer[]> = {
  'user alice of acme': ['owner acme:alice', 403, 'tag acme:alice', 'batch', 404, 404],
  'watch token of alice’s job': readsNoFeed,
  'service of acme with no scope it knows': readsNoFeed,
  'service of acme, jobs:submit': readsNoFeed,
  'service of acme, jobs:read': acmeReader,
  'service of acme, jobs:publish': readsNoFeed,
  'service of acme, jobs:submit jobs:read': acmeReader,
  'service of acme, jobs:read jobs:publish': acmeReader,
  'service of acme, jobs:submit jobs:publish': readsNoFeed,
  'service of every tenant, jobs:submit': readsNoFeed,
  'service of every tenant, jobs:read': everyTenantReader,
  'service of every tenant, jobs:submit jobs:read': everyTenantReader,
  'service of every tenant, jobs:publish': readsNoFeed,
};

function feedAnswer(verdict: FeedVerdict): FeedAnswer {
  if (!verdict.permitted) return verdict.answer === 'not-found' ? 404 : 403;
  const { feed } = verdict;
  switch (feed.kind) {
    case 'owner':
      return `owner ${feed.owner}`;
    case 'tag':
      return `tag ${feed.owner}`;
    case 'tenant-tag':
      return `tenant-tag ${feed.tenant}`;
    case 'batch':
      return 'batch';
  }
}

describe('feeds', () => {
  it('has a row for every principal of the table', () => {
    expect(Object.keys(feedTable).sort()).toEqual(Object.keys(table).sort());
  });

  it.each(Object.entries(feedTable))('%s', (name, expected) => {
    const access = readAccessOf((table[name] as Row).principal);
    expect(feedsAsked.map(({ feed, batch }) => feedAnswer(readFeed(access, feed, batch)))).toEqual(expected);
  });

  it('lets a batch’s watch token read that batch’s feed and no other feed', () => {
    const access = readAccessOf({ kind: 'watch', batchId: 'b1', expiresAt });
    expect(feedsAsked.map(({ feed, batch }) => feedAnswer(readFeed(access, feed, batch)))).toEqual([
      403,
      403,
      403,
      'batch',
      404,
      404,
    ]);
  });

  it('lets a user name itself as the owner, as "me" does', () => {
    const verdict = readFeed(readAccessOf(user('alice', 'acme')), { owner: 'alice' });
    expect(feedAnswer(verdict)).toBe('owner acme:alice');
  });

  it('encodes a named owner as owner keys do, so it cannot reach into another tenant', () => {
    const verdict = readFeed(readAccessOf(service([Scope.READ], 'acme')), { owner: 'x:globex' });
    expect(feedAnswer(verdict)).toBe(`owner acme:${encodeURIComponent('x:globex')}`);
  });
});

/**
 * Batches, owned like jobs. Columns: alice's batch (the one a batch watch token watches), bob's (same
 * tenant), carol's (tenant globex), one that does not exist.
 */
describe('batches', () => {
  const batch = (id: string, owner: string): BatchResource => ({ owner, snapshot: { id } });
  const batches = [
    batch('own', 'acme:alice'),
    batch('same-tenant', 'acme:bob'),
    batch('other-tenant', 'globex:carol'),
    null,
  ];
  const batchAnswer = (verdict: BatchVerdict<BatchResource>): Answer =>
    verdict.permitted ? 'ok' : verdict.answer === 'not-found' ? 404 : 403;
  const batchWatch: Principal = { kind: 'watch', batchId: 'own', expiresAt };

  const rows: Array<[string, Principal, { read: Answer[]; cancel: Answer[]; mint: Answer[]; submit: SubmitAnswer[] }]> =
    [
      [
        'user alice of acme',
        user('alice', 'acme'),
        {
          read: ['ok', 404, 404, 404],
          cancel: ['ok', 404, 404, 404],
          mint: ['ok', 404, 404, 404],
          submit: ['acme:alice', 403, 403],
        },
      ],
      [
        'watch token of alice’s batch',
        batchWatch,
        {
          read: ['ok', 404, 404, 404],
          cancel: [403, 404, 404, 404],
          mint: [403, 403, 403, 403],
          submit: refused,
        },
      ],
      [
        'watch token of alice’s job',
        { kind: 'watch', jobId: 'own', expiresAt },
        {
          read: [404, 404, 404, 404],
          cancel: [404, 404, 404, 404],
          mint: [403, 403, 403, 403],
          submit: refused,
        },
      ],
      [
        'service of acme, jobs:submit',
        service([Scope.SUBMIT], 'acme'),
        {
          read: [404, 404, 404, 404],
          cancel: [404, 404, 404, 404],
          mint: [404, 404, 404, 404],
          submit: ['acme:svc', 'acme:bob', 403],
        },
      ],
      [
        'service of acme, jobs:read',
        service([Scope.READ], 'acme'),
        {
          read: ['ok', 'ok', 404, 404],
          cancel: [403, 403, 404, 404],
          mint: ['ok', 'ok', 404, 404],
          submit: refused,
        },
      ],
      [
        'service of acme, jobs:submit jobs:read',
        service([Scope.SUBMIT, Scope.READ], 'acme'),
        {
          read: ['ok', 'ok', 404, 404],
          cancel: ['ok', 'ok', 404, 404],
          mint: ['ok', 'ok', 404, 404],
          submit: ['acme:svc', 'acme:bob', 403],
        },
      ],
      [
        'service of acme, jobs:publish',
        service([Scope.PUBLISH], 'acme'),
        {
          read: [404, 404, 404, 404],
          cancel: [404, 404, 404, 404],
          mint: [404, 404, 404, 404],
          submit: refused,
        },
      ],
      [
        'service of every tenant, jobs:submit jobs:read',
        service([Scope.SUBMIT, Scope.READ]),
        {
          read: ['ok', 'ok', 'ok', 404],
          cancel: ['ok', 'ok', 'ok', 404],
          mint: ['ok', 'ok', 'ok', 404],
          submit: [':svc', 'acme:bob', 'globex:carol'],
        },
      ],
    ];

  describe.each(rows)('%s', (_, principal, row) => {
    it('reads, cancels, mints watch tokens of and submits batches', () => {
      expect(batches.map((resource) => batchAnswer(readBatch(principal, resource)))).toEqual(row.read);
      expect(batches.map((resource) => batchAnswer(cancelBatch(principal, resource)))).toEqual(row.cancel);
      expect(batches.map((resource) => batchAnswer(mintBatchWatchToken(principal, resource)))).toEqual(row.mint);
      const submits = submitTargets.map((owner) => {
        const grant = submitBatch(principal, { ...(owner && { owner }) });
        return grant.permitted ? grant.owner : 403;
      });
      expect(submits).toEqual(row.submit);
    });
  });

  it('lets a batch’s watch token read each job of the batch and no other', () => {
    const access = readAccessOf(batchWatch);
    const inBatch: JobResource = { owner: 'acme:alice', snapshot: { id: 'a', batchId: 'own' } };
    const elsewhere: JobResource = { owner: 'acme:alice', snapshot: { id: 'b', batchId: 'other' } };
    const alone: JobResource = { owner: 'acme:alice', snapshot: { id: 'own' } };
    expect([inBatch, elsewhere, alone].map((resource) => mayReadJob(access, resource))).toEqual([true, false, false]);
    expect(readAccessKey(access)).not.toBe(readAccessKey(readAccessOf({ kind: 'watch', jobId: 'own', expiresAt })));
  });
});

/** What `GET /jobs` lists its candidates from, by who asks and what it names. */
describe('listing', () => {
  const rows: Array<[string, Principal, Parameters<typeof listJobs>[1], unknown]> = [
    ['a user, its own jobs', user('alice', 'acme'), {}, { kind: 'owner', owner: 'acme:alice' }],
    [
      'a user, its own with a tag',
      user('alice', 'acme'),
      { tag: 't' },
      { kind: 'owner-tag', owner: 'acme:alice', tag: 't' },
    ],
    [
      'a user naming itself',
      user('alice', 'acme'),
      { owner: { sub: 'alice' } },
      { kind: 'owner', owner: 'acme:alice' },
    ],
    ['a user naming another', user('alice', 'acme'), { owner: { sub: 'bob' } }, 403],
    ['a user, a batch', user('alice', 'acme'), { batch: 'b1' }, { kind: 'batch', batchId: 'b1' }],
    ['a reader, nothing named', service([Scope.READ], 'acme'), {}, 403],
    [
      'a reader, a user',
      service([Scope.READ], 'acme'),
      { owner: { sub: 'bob' } },
      { kind: 'owner', owner: 'acme:bob' },
    ],
    ['a reader, a user elsewhere', service([Scope.READ], 'acme'), { owner: { sub: 'c', tenant: 'globex' } }, 403],
    ['a reader, a tag', service([Scope.READ], 'acme'), { tag: 't' }, { kind: 'tenant-tag', tenant: 'acme', tag: 't' }],
    [
      'a reader of every tenant, a tag',
      service([Scope.READ]),
      { tag: 't' },
      { kind: 'tenant-tag', tenant: '', tag: 't' },
    ],
    ['a submitter, a tag', service([Scope.SUBMIT], 'acme'), { tag: 't' }, 403],
    [
      'a batch watch token, its batch',
      { kind: 'watch', batchId: 'b1', expiresAt },
      { batch: 'b1' },
      { kind: 'batch', batchId: 'b1' },
    ],
    ['a batch watch token, nothing named', { kind: 'watch', batchId: 'b1', expiresAt }, {}, 403],
    ['a job watch token, a batch', { kind: 'watch', jobId: 'j', expiresAt }, { batch: 'b1' }, 403],
  ];

  it.each(rows)('%s', (_, principal, request, expected) => {
    const verdict = listJobs(principal, request);
    expect(verdict.permitted ? verdict.source : 403).toEqual(expected);
  });
});
