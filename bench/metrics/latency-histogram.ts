import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/** Percentiles of a latency histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * An HDR histogram of latencies in whole milliseconds (events carry `at` in ms, so finer units would be
 * noise), 3 significant digits, up to an hour.
 */
export function createLatencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
}

/** A histogram in a form that crosses the IPC channel. */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** Adds the encoded histograms of several load processes into one. */
export function mergeHistograms(encoded: readonly string[]): Histogram {
  const merged = createLatencyHistogram();
  for (const text of encoded) merged.add(decodeFromCompressedBase64(text));
  return merged;
}

export function summarize(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  const at = (percentile: number): number => (count === 0 ? 0 : histogram.getValueAtPercentile(percentile));
  return { count, p50: at(50), p99: at(99), p999: at(99.9), max: count === 0 ? 0 : histogram.maxValue };
}
