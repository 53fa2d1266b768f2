/**
 * Pure helpers of the pipeline benchmark: percentiles, the bounded-lag criterion, the capacity
 * search and memory growth. No I/O, no clock: every input is passed in.
 */

/** Nearest-rank percentile (p in [0, 1]) of unsorted values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function slope(points: readonly { readonly x: number; readonly y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

export interface LagSample {
  /** Seconds since the step started. */
  readonly tS: number;
  /** Records produced but not yet committed by the group. */
  readonly lag: number;
}

export interface LagVerdict {
  readonly bounded: boolean;
  /** Largest lag after warm-up, in seconds of input at the measured input rate. */
  readonly maxLagS: number;
  /** Lag growth after warm-up, seconds of input per second (0.1 = falls 0.1 s further behind each second). */
  readonly growthSPerS: number;
  readonly reason: string;
}

export interface LagCriterion {
  /** Samples before this many seconds are ignored (consumers join, caches warm). */
  readonly warmUpS: number;
  /** Largest allowed lag, seconds of input. */
  readonly maxLagS: number;
  /** Largest allowed growth of the lag, seconds of input per second. */
  readonly maxGrowthSPerS: number;
}

/**
 * A consumer keeps up when, after warm-up, its lag never exceeds `maxLagS` seconds of input and does
 * not trend upwards faster than `maxGrowthSPerS` (a lag that grows without bound fails one of the
 * two on a long enough step; the growth test catches it early on a short one). Lag is converted
 * to seconds with the input rate (records/s) so one rule fits a 200 Hz IMU and a 12 Hz camera.
 */
export function judgeLag(samples: readonly LagSample[], inputRatePerS: number, criterion: LagCriterion): LagVerdict {
  const window = samples.filter((s) => s.tS >= criterion.warmUpS);
  if (window.length === 0) return { bounded: false, maxLagS: Number.NaN, growthSPerS: Number.NaN, reason: 'no lag samples after warm-up' };
  if (inputRatePerS <= 0) {
    // Nothing arrived: bounded only if nothing is waiting either (a stalled producer is the source's problem, judged apart).
    const waiting = Math.max(...window.map((s) => s.lag));
    return waiting === 0
      ? { bounded: true, maxLagS: 0, growthSPerS: 0, reason: 'no input' }
      : { bounded: false, maxLagS: Number.POSITIVE_INFINITY, growthSPerS: Number.NaN, reason: `no input while ${String(waiting)} records wait (the consumer is stuck)` };
  }
  const maxLagS = Math.max(...window.map((s) => s.lag)) / inputRatePerS;
  const growthSPerS = slope(window.map((s) => ({ x: s.tS, y: s.lag }))) / inputRatePerS;
  if (maxLagS > criterion.maxLagS) {
    return { bounded: false, maxLagS, growthSPerS, reason: `lag reached ${maxLagS.toFixed(2)} s of input (limit ${String(criterion.maxLagS)} s)` };
  }
  if (growthSPerS > criterion.maxGrowthSPerS) {
    return { bounded: false, maxLagS, growthSPerS, reason: `lag grew ${growthSPerS.toFixed(3)} s per s (limit ${String(criterion.maxGrowthSPerS)})` };
  }
  return { bounded: true, maxLagS, growthSPerS, reason: 'bounded' };
}

/** What one capacity step measured, reduced to pass/fail. */
export interface StepOutcome {
  readonly rigs: number;
  readonly sustained: boolean;
}

/**
 * The next rig count to try in an upward scan, or undefined when the scan is over: it stops at the
 * first step that is not sustained, or at `maxRigs`. Capacity = the largest sustained count below
 * the first failure (0 when one rig already fails).
 */
export function nextRigCount(history: readonly StepOutcome[], maxRigs: number): number | undefined {
  const last = history.at(-1);
  if (last === undefined) return 1;
  if (!last.sustained) return undefined;
  return last.rigs >= maxRigs ? undefined : last.rigs + 1;
}

export function capacityOf(history: readonly StepOutcome[]): number {
  let capacity = 0;
  for (const step of [...history].sort((a, b) => a.rigs - b.rigs)) {
    if (!step.sustained) break;
    capacity = step.rigs;
  }
  return capacity;
}

/**
 * Growth of a memory series after warm-up: mean of the last quarter of the samples over the mean of
 * the first quarter, minus 1 (0.05 = 5 % growth). Means of quarters, not end points, so one GC
 * cycle does not decide it. NaN with fewer than four samples after warm-up.
 */
export function growthAfterWarmUp(samples: readonly { readonly tS: number; readonly value: number }[], warmUpS: number): number {
  const window = samples.filter((s) => s.tS >= warmUpS);
  const quarter = Math.floor(window.length / 4);
  if (quarter < 1) return Number.NaN;
  const mean = (xs: readonly { readonly value: number }[]): number => xs.reduce((a, s) => a + s.value, 0) / xs.length;
  return mean(window.slice(-quarter)) / mean(window.slice(0, quarter)) - 1;
}

/**
 * Seconds after `fromS` until the latency p99 of every later window is back within `tolerance` of
 * `nominalP99` (windows: [start, end) seconds with their p99). Undefined when it never recovers
 * inside the measured windows.
 */
export function recoverySeconds(
  windows: readonly { readonly startS: number; readonly endS: number; readonly p99: number }[],
  fromS: number,
  nominalP99: number,
  tolerance: number,
): number | undefined {
  const after = windows.filter((w) => w.startS >= fromS && Number.isFinite(w.p99));
  const limit = nominalP99 * (1 + tolerance);
  for (let i = 0; i < after.length; i++) {
    if (after.slice(i).every((w) => w.p99 <= limit)) return (after[i]?.startS ?? fromS) - fromS;
  }
  return undefined;
}
