import { describe, expect, it } from 'vitest';
import { capacityOf, growthAfterWarmUp, judgeLag, nextRigCount, percentile, recoverySeconds, slope } from './stats.js';

const criterion = { warmUpS: 2, maxLagS: 1, maxGrowthSPerS: 0.05 };

describe('percentile (nearest rank)', () => {
  it('matches the nearest-rank values worked out by hand', () => {
    const xs = [15, 20, 35, 40, 50];
    // ceil(p·n): p50 → rank 3 = 35, p99 → rank 5 = 50, p30 → rank 2 = 20, p0 → rank 1.
    expect(percentile(xs, 0.5)).toBe(35);
    expect(percentile(xs, 0.99)).toBe(50);
    expect(percentile(xs, 0.3)).toBe(20);
    expect(percentile(xs, 0)).toBe(15);
    expect(percentile([3, 1, 2], 1)).toBe(3);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('slope', () => {
  it('is the least-squares slope', () => {
    // By hand: mean x 1.5, mean y 4; Σ(dx·dy) = 3 + 0.5 + 0.5 + 3 = 7; Σdx² = 5 → 7/5.
    expect(slope([{ x: 0, y: 2 }, { x: 1, y: 3 }, { x: 2, y: 5 }, { x: 3, y: 6 }])).toBeCloseTo(1.4, 10);
    expect(slope([{ x: 5, y: 1 }])).toBe(0);
  });
});

describe('judgeLag', () => {
  it('accepts a lag that wobbles around a constant after warm-up', () => {
    // 100 records/s input; lag 50, 20, 40, 30… records = 0.2–0.5 s, no trend. The 5000 during warm-up is ignored.
    const samples = [{ tS: 0, lag: 5000 }, ...[50, 20, 40, 30, 50, 20, 40, 30].map((lag, i) => ({ tS: 2 + i, lag }))];
    const verdict = judgeLag(samples, 100, criterion);
    expect(verdict.bounded).toBe(true);
    expect(verdict.maxLagS).toBeCloseTo(0.5, 10);
  });

  it('rejects a lag that keeps growing even while still under the limit', () => {
    // +10 records/s at 100 records/s of input = falls 0.1 s further behind every second.
    const samples = Array.from({ length: 8 }, (_, i) => ({ tS: 2 + i, lag: 10 * i }));
    const verdict = judgeLag(samples, 100, criterion);
    expect(verdict.bounded).toBe(false);
    expect(verdict.growthSPerS).toBeCloseTo(0.1, 10);
    expect(verdict.reason).toContain('grew');
  });

  it('rejects a lag above the limit', () => {
    const samples = [2, 3, 4].map((tS) => ({ tS, lag: 150 }));
    const verdict = judgeLag(samples, 100, criterion);
    expect(verdict.bounded).toBe(false);
    expect(verdict.maxLagS).toBeCloseTo(1.5, 10);
  });

  it('without input: bounded when nothing waits, stuck when records wait', () => {
    expect(judgeLag([{ tS: 3, lag: 0 }], 0, criterion).bounded).toBe(true);
    expect(judgeLag([{ tS: 3, lag: 7 }], 0, criterion).bounded).toBe(false);
    expect(judgeLag([{ tS: 1, lag: 0 }], 100, criterion).bounded).toBe(false);
  });
});

describe('capacity search', () => {
  it('scans upwards until the first failure and reports the last sustained count', () => {
    expect(nextRigCount([], 8)).toBe(1);
    expect(nextRigCount([{ rigs: 1, sustained: true }], 8)).toBe(2);
    expect(nextRigCount([{ rigs: 1, sustained: true }, { rigs: 2, sustained: false }], 8)).toBeUndefined();
    expect(nextRigCount([{ rigs: 8, sustained: true }], 8)).toBeUndefined();
    expect(capacityOf([{ rigs: 1, sustained: true }, { rigs: 2, sustained: true }, { rigs: 3, sustained: false }])).toBe(2);
    expect(capacityOf([{ rigs: 1, sustained: false }])).toBe(0);
    // A later pass does not count past an earlier failure.
    expect(capacityOf([{ rigs: 1, sustained: true }, { rigs: 2, sustained: false }, { rigs: 3, sustained: true }])).toBe(1);
  });
});

describe('growthAfterWarmUp', () => {
  it('compares the mean of the last quarter with the first quarter after warm-up', () => {
    // After warm-up (t ≥ 10): 100, 100, 104, 108, 110, 110, 112, 110 → first quarter 100, last quarter 111 → 11 %.
    const values = [500, 100, 100, 104, 108, 110, 110, 112, 110];
    const samples = values.map((value, i) => ({ tS: i === 0 ? 0 : 9 + i, value }));
    expect(growthAfterWarmUp(samples, 10)).toBeCloseTo(0.11, 10);
    expect(growthAfterWarmUp(samples.slice(0, 3), 10)).toBeNaN();
  });
});

describe('recoverySeconds', () => {
  it('is the start of the first window after which every p99 is back near nominal', () => {
    const windows = [
      { startS: 58, endS: 60, p99: 400 },
      { startS: 60, endS: 62, p99: 300 },
      { startS: 62, endS: 64, p99: 90 },
      { startS: 64, endS: 66, p99: 130 }, // a relapse: recovery is only after it
      { startS: 66, endS: 68, p99: 95 },
      { startS: 68, endS: 70, p99: 100 },
    ];
    // nominal 100 ms, 20 % tolerance → limit 120 ms: windows from 66 s on are within it → 6 s after 60 s.
    expect(recoverySeconds(windows, 60, 100, 0.2)).toBe(6);
    expect(recoverySeconds(windows.slice(0, 2), 60, 100, 0.2)).toBeUndefined();
  });
});
