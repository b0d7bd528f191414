import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { summarizeDashboardMode, type DashboardPlan } from './s6-dashboard';

const PLAN: DashboardPlan = { watchers: 20, jobs: 100, hz: 10, warmupMs: 3000, windowMs: 8000 };

function latencies(values: readonly number[]): string {
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const value of values) histogram.recordValue(value);
  return encodeIntoCompressedBase64(histogram);
}

describe('summarizeDashboardMode', () => {
  it('gives rates per second, per job and watcher, and CPU per update delivered', () => {
    // 20 watchers × 100 jobs × 4 updates/s × 8 s.
    const updates = 64_000;
    const result = summarizeDashboardMode(
      'feed',
      PLAN,
      { updatesInWindow: updates, messagesInWindow: 1600, latency: latencies([10, 20, 30, 400]), closed: 0 },
      { gatewayCpuMs: 3200, redisCpuMs: 640, gatewayRssGrowthBytes: 20 * 50 * 1024 },
    );
    expect(result.updatesPerS).toBe(8000);
    expect(result.updatesPerJobPerS).toBe(4);
    expect(result.messagesPerS).toBe(200);
    expect(result.gatewayCpuUsPerUpdate).toBe(50);
    expect(result.redisCpuUsPerUpdate).toBe(10);
    expect(result.gatewayRssKbPerWatcher).toBe(50);
    expect(result.latencyMs.count).toBe(4);
    expect(result.latencyMs.p50).toBe(20);
    expect(result.latencyMs.max).toBe(400);
  });

  it('reports no CPU per update and no latency when nothing arrived, rather than dividing by zero', () => {
    const result = summarizeDashboardMode(
      'per-job',
      PLAN,
      { updatesInWindow: 0, messagesInWindow: 0, latency: latencies([]), closed: 20 },
      { gatewayCpuMs: 100, redisCpuMs: 10, gatewayRssGrowthBytes: 0 },
    );
    expect(result.gatewayCpuUsPerUpdate).toBe(0);
    expect(result.latencyMs).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
    expect(result.closed).toBe(20);
  });
});
