/**
 * Baseline B's publisher: what a team's workers would run instead of Jobcast's, emitting each job's
 * progress straight to its room through `@socket.io/redis-emitter` (a Redis PUBLISH), nothing logged. It
 * paces and shapes events like Jobcast's worker running demo.steps — same rate, same JSON fields — and
 * stamps `seq` and `at` itself so the bench can measure loss and latency the same way.
 */
import { JOBS_NAMESPACE, type JobEvent } from '@jobcast/contracts';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveRpc } from '../rpc/rpc';
import type { EmitterPublisherApi, PublishedJob } from './emitter-publisher-api';
import { jobRoom } from './job-rooms';

class EmitterPublisher implements EmitterPublisherApi {
  private emitter: Emitter | undefined;
  private running: Array<Promise<void>> = [];
  private lastSeq = new Map<string, number>();
  private finishing = false;

  connect({ redisUrl }: { redisUrl: string }): Promise<void> {
    this.emitter = new Emitter(new Redis(redisUrl)).of(JOBS_NAMESPACE);
    return Promise.resolve();
  }

  start({ jobs }: { jobs: PublishedJob[] }): Promise<void> {
    this.finishing = false;
    this.running.push(...jobs.map((job) => this.run(job)));
    return Promise.resolve();
  }

  async finish(): Promise<void> {
    this.finishing = true;
    await Promise.all(this.running);
    for (const [jobId, seq] of this.lastSeq) this.emit(jobId, seq + 1, { type: 'completed', data: { result: null } });
    this.running = [];
    this.lastSeq = new Map();
  }

  private async run({ jobId, intervalMs, steps }: PublishedJob): Promise<void> {
    this.lastSeq.set(jobId, 0);
    for (let step = 1; step <= steps && !this.finishing; step += 1) {
      await sleep(intervalMs);
      if (this.finishing) return;
      const percent = Math.round((step / steps) * 10_000) / 100;
      this.emit(jobId, step, {
        type: 'progress',
        data: { percent, stage: 'step', message: `step ${step} of ${steps}`, current: step, total: steps },
      });
    }
  }

  private emit(jobId: string, seq: number, body: Pick<JobEvent, 'type' | 'data'>): void {
    if (!this.emitter) throw new Error('connect first');
    this.lastSeq.set(jobId, seq);
    const event = { jobId, seq, type: body.type, at: Date.now(), data: body.data };
    this.emitter.to(jobRoom(jobId)).emit('job:event', event);
  }
}

serveRpc(new EmitterPublisher());
