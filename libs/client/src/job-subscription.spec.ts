import { ErrorCode, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayConnection } from './gateway-connection';
import { JobSubscription, type SubscriptionHost } from './job-subscription';

/** A connection that records each subscribe, to be answered by the test. */
function fakeSocket(): {
  socket: GatewayConnection;
  requests: Array<{ payload: unknown; answer: (ack: unknown) => void }>;
} {
  const requests: Array<{ payload: unknown; answer: (ack: unknown) => void }> = [];
  const socket: GatewayConnection = {
    connected: true,
    subscribe: (jobId, afterSeq, _timeoutMs, answer) =>
      requests.push({ payload: { jobId, afterSeq }, answer: (ack) => answer(ack as Parameters<typeof answer>[0]) }),
    unsubscribe: () => undefined,
    subscribeFeed: () => undefined,
    unsubscribeFeed: () => undefined,
    close: () => undefined,
  };
  return { socket, requests };
}

const host: SubscriptionHost = {
  ackTimeoutMs: 1000,
  retryDelay: () => 10,
  refreshToken: () => false,
  tokenAccepted: () => undefined,
  release: () => undefined,
};

const snapshot: JobSnapshot = {
  id: 'job-1',
  type: 'demo.steps',
  status: 'active',
  percent: 50,
  attempt: 1,
  lastSeq: 1,
  createdAt: 1000,
  updatedAt: 1001,
};
const queued: JobEvent = { jobId: 'job-1', seq: 1, at: 1001, type: 'queued', data: {} };

describe('JobSubscription', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes SUBSCRIPTION_CLOSED for its newest subscribe as "ask again", not as the end of the watch', async () => {
    vi.useFakeTimers();
    const { socket, requests } = fakeSocket();
    const subscription = new JobSubscription('job-1', host);
    const watch = subscription.watch(0);
    const seen: number[] = [];
    watch.onEvent((event) => seen.push(event.seq));
    subscription.attach(socket);
    // watch() found no socket yet; attach() subscribed.
    expect(requests).toHaveLength(1);
    requests[0]?.answer({ ok: false, error: { code: ErrorCode.SUBSCRIPTION_CLOSED, message: 'overtaken' } });
    await vi.advanceTimersByTimeAsync(10);
    expect(requests.map((request) => request.payload)).toEqual([
      { jobId: 'job-1', afterSeq: 0 },
      { jobId: 'job-1', afterSeq: 0 },
    ]);
    requests[1]?.answer({ ok: true, snapshot, events: [queued] });
    expect(seen).toEqual([1]);
    expect(watch.snapshot).toEqual(snapshot);
  });

  it('ignores the answer to a subscribe that a newer one replaced', () => {
    const { socket, requests } = fakeSocket();
    const subscription = new JobSubscription('job-1', host);
    subscription.attach(socket);
    const watch = subscription.watch(0);
    const second = subscription.watch(0);
    expect(requests).toHaveLength(2);
    requests[0]?.answer({ ok: false, error: { code: ErrorCode.SUBSCRIPTION_CLOSED, message: 'overtaken' } });
    requests[1]?.answer({ ok: true, snapshot, events: [queued] });
    expect([watch.lastSeq, second.lastSeq]).toEqual([1, 1]);
    expect(requests).toHaveLength(2);
  });
});
