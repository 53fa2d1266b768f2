import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HampelWindow, hampelFilter, median, medianFilter } from './index.js';

describe('median and median filter (hand-computed)', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 4])).toBe(4);
    expect(median([5, 1, 4, 2])).toBe(3);
  });

  it('filters with a truncated centred window', () => {
    // windows: [3,1] [3,1,4] [1,4,1] [4,1,5] [1,5,9] [5,9,2] [9,2]
    expect(Array.from(medianFilter([3, 1, 4, 1, 5, 9, 2], 1))).toEqual([2, 3, 1, 4, 5, 5, 5.5]);
  });
});

describe('hampelFilter (hand-computed)', () => {
  it('flags and replaces one spike and nothing else', () => {
    // i=3: window [2,3,100,5,6], median 5, |dev| [3,2,95,0,1] → MAD 2, σ 2.965; |100−5| = 95 > 3σ.
    // i=4: window [3,100,5,6,7], median 6, MAD 1, σ 1.483; |5−6| = 1 < 4.45: kept.
    const { filtered, outliers } = hampelFilter([1, 2, 3, 100, 5, 6, 7], { halfWindow: 2, nSigmas: 3 });
    expect(Array.from(outliers)).toEqual([0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(filtered)).toEqual([1, 2, 3, 5, 5, 6, 7]);
  });

  it('raises no alarm on a clean quantised signal when σ has a floor', () => {
    // A signal at a quantisation boundary toggles by one step. Window of the 11: [10,10,11,10,10],
    // median 10, MAD 0: without a floor the 11 is an "outlier"; with σ ≥ 1 (the resolution) it is not.
    const ramp = [10, 10, 10, 11, 10, 10, 10, 10, 11, 10, 10];
    expect(Array.from(hampelFilter(ramp, { halfWindow: 2 }).outliers).some((o) => o === 1)).toBe(true);
    expect(Array.from(hampelFilter(ramp, { halfWindow: 2, minSigma: 1 }).outliers).every((o) => o === 0)).toBe(true);
  });

  it('matches a numpy implementation of MATLAB hampel on noisy data with spikes', () => {
    const python = '/usr/bin/python3';
    if (!existsSync(python)) {
      console.warn('skipped: /usr/bin/python3 absent');
      return;
    }
    const script = `
import numpy as np, json
rng = np.random.default_rng(7)
x = np.sin(np.arange(400) / 20.0) + rng.normal(0, 0.1, 400)
x[rng.choice(400, 20, replace=False)] += rng.choice([-1, 1], 20) * rng.uniform(1, 3, 20)
k, t = 3, 3.0
out = []
for i in range(len(x)):
    w = x[max(0, i - k):min(len(x), i + k + 1)]
    m = np.median(w)
    s = 1.4826 * np.median(np.abs(w - m))
    out.append(1 if abs(x[i] - m) > t * s else 0)
print(json.dumps({"x": x.tolist(), "outliers": out}))
`;
    const run = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    if (run.status !== 0) {
      console.warn(`skipped: numpy unavailable (${run.stderr.split('\n').at(-2) ?? ''})`);
      return;
    }
    const peer = JSON.parse(run.stdout) as { x: number[]; outliers: number[] };
    const ours = hampelFilter(peer.x, { halfWindow: 3, nSigmas: 3 });
    expect(Array.from(ours.outliers)).toEqual(peer.outliers);
    expect(peer.outliers.reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
  });
});

describe('HampelWindow (causal)', () => {
  it('flags a spike against the trailing window and lets a real step through after half a window', () => {
    const w = new HampelWindow(5, 3, 0.01);
    const verdicts = [10, 10.1, 9.9, 10, 10.05, 30, 10, 20, 20, 20, 20].map((x) => w.push(x).outlier);
    // 30: window [10.1,9.9,10,10.05,30] median 10.05, MAD 0.05 → outlier.
    // 20 (first): window [10,10.05,30,10,20] median 10.05, MAD 0.05 → outlier;
    // 20 (second): window [10.05,30,10,20,20] median 20 → accepted (the old spike counts as a high value).
    expect(verdicts).toEqual([false, false, false, false, false, true, false, true, false, false, false]);
  });
});
