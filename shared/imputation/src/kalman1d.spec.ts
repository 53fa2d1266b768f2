import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gaussian, ScalarKalman, seededRandom } from './index.js';

const S = 1_000_000;

describe('ScalarKalman random walk (hand-computed two steps)', () => {
  it('initialises on the first measurement, then predicts and corrects', () => {
    const k = new ScalarKalman({ model: 'random_walk', processNoise: 0.5, measurementVariance: 1 });
    k.update(0, 2);
    expect(k.estimate).toEqual({ mean: 2, variance: 1 });
    // t = 2 s: P⁻ = 1 + 0.5·2 = 2, K = 2/3, x = 2 + (2/3)(4 − 2) = 10/3, P = 2/3.
    k.update(2 * S, 4);
    expect(k.estimate.mean).toBeCloseTo(10 / 3, 12);
    expect(k.estimate.variance).toBeCloseTo(2 / 3, 12);
    // Prediction 1 s later: same mean, P = 2/3 + 0.5.
    const p = k.predict(3 * S);
    expect(p.mean).toBeCloseTo(10 / 3, 12);
    expect(p.variance).toBeCloseTo(2 / 3 + 0.5, 12);
  });
});

describe('ScalarKalman constant rate (hand-computed one step)', () => {
  it('follows F = [1 dt; 0 1], Q = q[dt³/3 dt²/2; dt²/2 dt]', () => {
    const k = new ScalarKalman({ model: 'constant_rate', processNoise: 1, measurementVariance: 1, initialRateVariance: 100 });
    k.update(0, 0);
    k.update(1 * S, 1);
    // P⁻ = [[1 + 100 + 1/3, 100 + 1/2], [100.5, 101]], S = P⁻₀₀ + 1, K = P⁻[:,0] / S.
    const s = 1 + 100 + 1 / 3 + 1;
    const k0 = (101 + 1 / 3) / s;
    const k1 = 100.5 / s;
    expect(k.estimate.mean).toBeCloseTo(k0, 12);
    expect(k.rate).toBeCloseTo(k1, 12);
    expect(k.estimate.variance).toBeCloseTo((101 + 1 / 3) * (1 - k0), 12);
  });
});

describe('ScalarKalman vs numpy', () => {
  it('matches a matrix Kalman filter in numpy on an irregularly sampled constant-rate series', () => {
    const python = '/usr/bin/python3';
    if (!existsSync(python)) {
      console.warn('skipped: /usr/bin/python3 absent');
      return;
    }
    const random = seededRandom(3);
    const times: number[] = [];
    const z: number[] = [];
    let t = 0;
    for (let i = 0; i < 200; i++) {
      t += Math.round((0.05 + 0.1 * random()) * S);
      times.push(t);
      z.push(0.7 * (t / S) + Math.sin(t / S) + 0.2 * gaussian(random));
    }
    const script = `
import numpy as np, json, sys
d = json.load(sys.stdin)
t = np.array(d["t"], dtype=float) / 1e6; z = np.array(d["z"])
q, R = 0.3, 0.04
x = np.array([z[0], 0.0]); P = np.diag([R, 1e4 * R])
out = [[x[0], P[0, 0]]]
for i in range(1, len(z)):
    dt = t[i] - t[i - 1]
    F = np.array([[1, dt], [0, 1]]); Q = q * np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]])
    x = F @ x; P = F @ P @ F.T + Q
    H = np.array([[1.0, 0.0]]); S = H @ P @ H.T + R; K = P @ H.T / S
    x = x + (K * (z[i] - x[0])).ravel(); P = (np.eye(2) - K @ H) @ P
    out.append([x[0], P[0, 0]])
print(json.dumps(out))
`;
    const run = spawnSync(python, ['-c', script], { input: JSON.stringify({ t: times, z }), encoding: 'utf8' });
    if (run.status !== 0) {
      console.warn(`skipped: numpy unavailable (${run.stderr.split('\n').at(-2) ?? ''})`);
      return;
    }
    const peer = JSON.parse(run.stdout) as [number, number][];
    const k = new ScalarKalman({ model: 'constant_rate', processNoise: 0.3, measurementVariance: 0.04 });
    times.forEach((ti, i) => {
      k.update(ti, z[i] ?? 0);
      const [mean, variance] = peer[i] ?? [Number.NaN, Number.NaN];
      expect(k.estimate.mean).toBeCloseTo(mean, 9);
      expect(k.estimate.variance).toBeCloseTo(variance, 9);
    });
  });
});
