import { InvalidEvalInputError } from './errors.js';

/**
 * `nearest-rank`: the smallest observed value with at least p % of the values ≤ it (rank ⌈p/100·N⌉);
 * always an observed latency. `linear`: numpy's default, interpolating between ranks (N−1)·p/100.
 */
export type PercentileMethod = 'nearest-rank' | 'linear';

export interface LatencySummary {
  readonly count: number;
  readonly method: PercentileMethod;
  readonly minUs: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/** The p-th percentile (0 ≤ p ≤ 100) of values sorted ascending. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number, method: PercentileMethod): number {
  const n = sorted.length;
  if (!(p >= 0 && p <= 100)) throw new InvalidEvalInputError(`percentile must be in [0, 100], found ${p}`);
  if (n === 0) return Number.NaN;
  if (method === 'nearest-rank') {
    const rank = Math.max(1, Math.ceil((p / 100) * n));
    return sorted[rank - 1] ?? Number.NaN;
  }
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[Math.min(lo + 1, n - 1)] ?? Number.NaN;
  return a + (h - lo) * (b - a);
}

/** Percentiles of latencies (e.g. capture → fused output) in µs. */
export function summarizeLatency(
  latenciesUs: ArrayLike<number>,
  method: PercentileMethod = 'nearest-rank',
): LatencySummary {
  const sorted = Float64Array.from(latenciesUs);
  for (const v of sorted) {
    if (!Number.isFinite(v)) throw new InvalidEvalInputError(`latencies must be finite, found ${v}`);
  }
  sorted.sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    method,
    minUs: n === 0 ? Number.NaN : (sorted[0] ?? Number.NaN),
    meanUs: n === 0 ? Number.NaN : sum / n,
    p50Us: percentileOfSorted(sorted, 50, method),
    p90Us: percentileOfSorted(sorted, 90, method),
    p99Us: percentileOfSorted(sorted, 99, method),
    maxUs: n === 0 ? Number.NaN : (sorted[n - 1] ?? Number.NaN),
  };
}
