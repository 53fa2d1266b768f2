import { describe, expect, it } from 'vitest';
import { InvalidEvalInputError } from './errors.js';
import { percentileOfSorted, summarizeLatency } from './latency.js';

describe('latency percentiles', () => {
  it('nearest-rank: the textbook example 15, 20, 35, 40, 50', () => {
    // Rank ⌈p/100 · 5⌉: p5 → 1st (15), p30 → 2nd (20), p40 → 2nd (20), p50 → 3rd (35), p100 → 5th (50).
    const v = [15, 20, 35, 40, 50];
    expect([5, 30, 40, 50, 100].map((p) => percentileOfSorted(v, p, 'nearest-rank'))).toEqual([15, 20, 20, 35, 50]);
  });

  it('linear (numpy default): p40 of 15, 20, 35, 40, 50 is 20 + 0.6·15 = 29', () => {
    // h = (5 − 1)·0.4 = 1.6 → between the 2nd (20) and 3rd (35) values.
    expect(percentileOfSorted([15, 20, 35, 40, 50], 40, 'linear')).toBeCloseTo(29, 12);
  });

  it('summarizes 1…100 ms given in any order', () => {
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100 + 1) * 1000); // a permutation
    const nr = summarizeLatency(values);
    expect(nr.method).toBe('nearest-rank');
    expect([nr.count, nr.minUs, nr.p50Us, nr.p90Us, nr.p99Us, nr.maxUs]).toEqual([100, 1000, 50_000, 90_000, 99_000, 100_000]);
    expect(nr.meanUs).toBeCloseTo(50_500, 9);
    const lin = summarizeLatency(values, 'linear');
    // h = 99·p: p50 → 50.5 ms, p90 → 90.1 ms, p99 → 99.01 ms.
    expect(lin.p50Us).toBeCloseTo(50_500, 6);
    expect(lin.p90Us).toBeCloseTo(90_100, 6);
    expect(lin.p99Us).toBeCloseTo(99_010, 6);
  });

  it('no samples → NaN; a non-finite latency or a percentile outside [0, 100] is rejected', () => {
    expect(summarizeLatency([]).p50Us).toBeNaN();
    expect(() => summarizeLatency([1, Number.NaN])).toThrow(InvalidEvalInputError);
    expect(() => percentileOfSorted([1], 101, 'linear')).toThrow(InvalidEvalInputError);
  });
});
