import { applyEvent } from '@jobcast/client';
import type { JobEvent, JobEventBody, JobSnapshot } from '@jobcast/contracts';
import { JobEventLog } from '@jobcast/job-log';
import { ensureRedisServer, freePort, redisServerProcess, type ManagedProcess } from '@jobcast/local-stack';
import { RedisKeys } from '@jobcast/redis';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LEASE_MS = 60_000;

/** What a worker logs for a job that runs: everything after `queued`, the last event ending it. */
const RUNS: Record<string, JobEventBody[]> = {
  'retried once, then completed': [
    { type: 'started', data: { attempt: 1 } },
    { type: 'progress', data: { percent: 10, stage: 'fetch', message: '1/10', current: 1, total: 10 } },
    { type: 'log', data: { level: 'info', message: 'fetched' } },
    { type: 'progress', data: { percent: 40 } },
    { type: 'retrying', data: { attempt: 2, error: { message: 'connection reset' }, delayMs: 200 } },
    { type: 'started', data: { attempt: 2 } },
    // Empty strings are values like any other, not the absence of one.
    { type: 'progress', data: { percent: 100, stage: '', message: '' } },
    { type: 'completed', data: { result: { files: 3, names: ['a', 'b', 'c'] } } },
  ],
  failed: [
    { type: 'started', data: { attempt: 1 } },
    { type: 'progress', data: { percent: 33.33, stage: 'copy' } },
    { type: 'failed', data: { error: { code: 'E_IO', message: 'disk full' }, attempts: 1 } },
  ],
  'cancelled with a reason': [
    { type: 'started', data: { attempt: 1 } },
    { type: 'progress', data: { percent: 5, message: 'warming up' } },
    { type: 'cancelled', data: { reason: 'cancelled by its owner' } },
  ],
  'cancelled without a reason': [
    { type: 'progress', data: { percent: 5, message: 'warming up' } },
    { type: 'cancelled', data: {} },
  ],
  'completed without a result': [
    { type: 'started', data: { attempt: 1 } },
    { type: 'completed', data: { result: undefined } },
  ],
  'completed with a falsy result': [
    { type: 'started', data: { attempt: 1 } },
    { type: 'completed', data: { result: 0 } },
  ],
};

/**
 * One rule, two places that apply it: the job log's Lua scripts in a real Redis, and the client's
 * applyEvent. After every event, the snapshot a watcher holds must be the one `GET /jobs/:id` answers,
 * field for field, whichever way the events were appended.
 */
describe('a job snapshot, as the job log keeps it and as a client applies events to it', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jobcast-snapshot-agreement-'));
  let redisServer: ManagedProcess;
  let redis: Redis;
  let log: JobEventLog;

  beforeAll(async () => {
    const port = await freePort();
    redisServer = redisServerProcess({
      binary: ensureRedisServer(() => undefined),
      port,
      dataDir: join(stateDir, 'redis'),
      logDir: stateDir,
    });
    await redisServer.start();
    redis = new Redis(port, '127.0.0.1');
    log = new JobEventLog(redis, new RedisKeys('agreement'), {
      ttlSeconds: 600,
      maxEvents: 1000,
      maxAgeMs: 3_600_000,
    });
  });

  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function snapshotInLog(jobId: string): Promise<JobSnapshot | undefined> {
    return (await log.getRecord(jobId))?.snapshot;
  }

  /** The job's first event, applied to what its creation alone gives a snapshot, is the snapshot created. */
  async function expectCreatedAlike(created: JobSnapshot): Promise<void> {
    const [queued] = (await log.readSince(created.id, 0, 1))?.events ?? [];
    const beforeAnyEvent = { id: created.id, type: created.type, createdAt: created.createdAt, lastSeq: 0 };
    expect(queued?.type).toBe('queued');
    expect(applyEvent(beforeAnyEvent as JobSnapshot, queued as JobEvent)).toEqual(created);
  }

  /** Once a job has ended, its log takes nothing more, whatever status it ended in. */
  async function expectEnded(jobId: string): Promise<void> {
    const before = await snapshotInLog(jobId);
    await expect(log.append(jobId, { type: 'log', data: { level: 'info', message: 'late' } })).rejects.toMatchObject({
      reason: 'JOB_FINISHED',
    });
    await expect(log.appendBatch(jobId, [{ type: 'progress', data: { percent: 1 } }])).rejects.toMatchObject({
      reason: 'JOB_FINISHED',
    });
    expect(await snapshotInLog(jobId)).toEqual(before);
  }

  for (const [name, bodies] of Object.entries(RUNS)) {
    it(`agree after each event a worker appends: ${name}`, async () => {
      const created = await log.create({ id: randomUUID(), type: 'demo.steps', owner: ':alice' });
      await expectCreatedAlike(created);
      let watched = created;
      for (const body of bodies) {
        const event = await log.append(created.id, body);
        watched = applyEvent(watched, event);
        expect(watched).toEqual(await snapshotInLog(created.id));
      }
      await expectEnded(created.id);
    });

    it(`agree after each batch a service appends, renewing its lease: ${name}`, async () => {
      const created = await log.create({
        id: randomUUID(),
        type: 'video.transcode',
        owner: ':alice',
        external: { publisher: ':transcoder', leaseMs: LEASE_MS },
      });
      await expectCreatedAlike(created);
      let watched = created;
      const batches = [bodies.slice(0, -1), bodies.slice(-1)].filter((batch) => batch.length > 0);
      for (const [index, batch] of batches.entries()) {
        const ends = index === batches.length - 1;
        const lastSeq = await log.appendBatch(created.id, batch, {
          idempotencyKey: randomUUID(),
          ...(!ends && { leaseUntil: Date.now() + LEASE_MS }),
        });
        const { events = [] } = (await log.readSince(created.id, watched.lastSeq, 100)) ?? {};
        expect(events.map((event) => event.seq).at(-1)).toBe(lastSeq);
        for (const event of events) watched = applyEvent(watched, event);
        expect(watched).toEqual(await snapshotInLog(created.id));
      }
      await expectEnded(created.id);
    });
  }

  it('agree when a lease that was renewed is not over yet, and when it runs out', async () => {
    const created = await log.create({
      id: randomUUID(),
      type: 'video.transcode',
      owner: ':alice',
      external: { publisher: ':transcoder', leaseMs: LEASE_MS },
    });
    let watched = created;
    const renewedUntil = created.createdAt + 2 * LEASE_MS;
    await log.appendBatch(created.id, [{ type: 'progress', data: { percent: 20, stage: 'encode' } }], {
      leaseUntil: renewedUntil,
    });
    for (const event of (await log.readSince(created.id, watched.lastSeq, 100))?.events ?? []) {
      watched = applyEvent(watched, event);
    }
    expect(await log.expireLease(created.id, renewedUntil - 1)).toEqual({ leaseUntil: renewedUntil });
    expect(watched).toEqual(await snapshotInLog(created.id));

    const outcome = await log.expireLease(created.id, renewedUntil + 1);
    expect(outcome).toMatchObject({ event: { type: 'failed', data: { error: { code: 'LEASE_EXPIRED' } } } });
    watched = applyEvent(watched, (outcome as { event: JobEvent }).event);
    expect(watched).toEqual(await snapshotInLog(created.id));
    expect(watched).toMatchObject({ status: 'failed', percent: 20, stage: 'encode' });
    await expectEnded(created.id);
  });
});
