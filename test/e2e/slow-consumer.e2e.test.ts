import { connect } from '@jobcast/client';
import type { DisconnectNotice, JobEvent } from '@jobcast/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/eventually';
import { SLOW_CONSUMER_ENV, signToken, useE2eStack } from '../support/e2e-stack';
import { submitJob } from '../support/http-api';
import { MIB, rssBytes } from '../support/processes';
import { subscribeRaw, type EventCollector } from '../support/raw-socket';
import { pause, resume } from '../support/stalled-reader';
import { expectCompleteSequence } from '../support/watchers';

describe('slow consumers', () => {
  const stack = useE2eStack({
    gateways: 1,
    env: SLOW_CONSUMER_ENV,
  });
  let token: string;

  async function pollingSubscriber(jobId: string): Promise<EventCollector> {
    const collector = await subscribeRaw(stack.url(0), token, jobId, { transports: ['polling'] });
    stack.closeAtStop(collector.socket);
    return collector;
  }

  beforeAll(async () => {
    token = await signToken('alice');
  });

  it('a client that reads slowly gets conflated progress and every lifecycle event', async () => {
    const job = await submitJob(stack.url(0), token, { type: 'demo.steps', payload: { steps: 1500, intervalMs: 1 } });
    const slow = await pollingSubscriber(job.id);
    while (!slow.events.some((e) => e.type === 'completed')) {
      await pause(slow.socket);
      await sleep(300);
      resume(slow.socket);
      await sleep(30);
    }
    expectCompleteSequence(slow.events);
    const conflated = slow.events.filter((e) => e.fromSeq !== undefined);
    expect(conflated.length).toBeGreaterThan(0);
    expect(slow.events.length).toBeLessThan((slow.events.at(-1) as JobEvent).seq);
    expect(slow.events.map((e) => e.type).filter((type) => type !== 'progress')).toEqual([
      'queued',
      'started',
      'completed',
    ]);
    expect(slow.events.at(-2)?.data).toMatchObject({ percent: 100, current: 1500 });
  });

  it('a client that stops reading is disconnected with a reason, resumes from its last seq and ends with the full sequence', async () => {
    const gatewayPid = stack.stack.gateways[0]?.pid as number;
    const rssBefore = rssBytes(gatewayPid);
    const job = await submitJob(stack.url(0), token, {
      type: 'demo.steps',
      payload: { steps: 1500, intervalMs: 1, log: true },
    });
    const stuck = await pollingSubscriber(job.id);
    const notices: DisconnectNotice[] = [];
    stuck.socket.on('gateway:disconnect', (notice) => notices.push(notice));
    const disconnected = new Promise<void>((resolve) => stuck.socket.once('disconnect', () => resolve()));
    await pause(stuck.socket);
    await sleep(1500);
    // Growth measured 0.1–1.1 MiB on 2 cores, V8's heap at work: the job's 3,000 progress and log events are
    // under 0.5 MB as JSON, so what bounds holding them is the SLOW_CONSUMER disconnect below; this bound,
    // under four times the most seen, catches a cost out of proportion to them.
    expect(rssBytes(gatewayPid) - rssBefore).toBeLessThan(4 * MIB);
    resume(stuck.socket);
    await disconnected;
    expect(notices).toEqual([{ reason: 'SLOW_CONSUMER', message: expect.any(String) as string }]);

    const received = [...stuck.events];
    const client = connect({ urls: [stack.url(0)], token });
    const rest = client.watch(job.id, { afterSeq: received.at(-1)?.seq ?? 0 });
    const tail: JobEvent[] = [];
    rest.onEvent((event) => tail.push(event));
    await rest.done;
    client.close();
    expectCompleteSequence([...received, ...tail]);
    expect(received.filter((e) => e.type === 'log').length).toBeGreaterThan(0);
  });
});
