import { describe, expect, it } from 'vitest';
import type { StreamingMeasurement } from './measure-streaming';
import { breaksOf } from './s3-fan-out-ramp';

const LIMITS = { maxP99Ms: 250, minDeliveredShare: 0.95 };

/** A step that met every criterion: 1,000 watchers of a 10 Hz job, everything delivered quickly. */
function healthyStep(changes: Partial<StreamingMeasurement> = {}): StreamingMeasurement {
  return {
    system: 'B: Socket.IO + redis-adapter',
    watchers: 1000,
    windowS: 2.5,
    offeredPerS: 10_000,
    deliveredPerS: 10_000,
    latencyMs: { count: 25_000, p50: 4, p99: 30, p999: 60, max: 80 },
    integrity: {
      streams: 1000,
      received: 30_000,
      missing: 0,
      duplicates: 0,
      outOfOrder: 0,
      superseded: 0,
      unfinished: 0,
    },
    subscribeFailures: 0,
    disconnects: {},
    cpuMs: { 'baseline-b-1': 900, 'baseline-b-2': 880 },
    cpuMsPer1kDelivered: { servers: 71, serverSide: 90, clients: 40 },
    loopDelayP99Ms: { 'baseline-b-1': 14.2, 'baseline-b-2': 13.9 },
    serverRssMiB: { 'baseline-b-1': 120, 'baseline-b-2': 118 },
    ...changes,
  };
}

describe('breaksOf: why an S3 step was not sustained', () => {
  it('finds no break in a step that met every criterion', () => {
    expect(breaksOf(healthyStep(), LIMITS)).toEqual([]);
  });

  it('breaks a step at which a server stopped answering its probe, naming the server, and keeps its figures', () => {
    const step = healthyStep({ loopDelayP99Ms: { 'baseline-b-1': null, 'baseline-b-2': 210.4 } });
    expect(breaksOf(step, LIMITS)).toEqual(['baseline-b-1 stopped answering (no probe answer in 10 s)']);
  });

  it('lists every reason of a step that broke in several ways', () => {
    const step = healthyStep({
      latencyMs: { count: 20_000, p50: 180, p99: 900, p999: 1500, max: 2000 },
      deliveredPerS: 8000,
      loopDelayP99Ms: { 'baseline-b-1': null, 'baseline-b-2': null },
    });
    expect(breaksOf(step, LIMITS)).toEqual([
      'p99 900 ms > 250 ms',
      'delivered 80.0% of offered',
      'baseline-b-1 stopped answering (no probe answer in 10 s)',
      'baseline-b-2 stopped answering (no probe answer in 10 s)',
    ]);
  });
});
