import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareQuantile } from './chiSquare.js';
import { EnuFrame, geodeticToEcef } from './geodetic.js';
import { constantVelocityModel, LinearKalmanFilter } from './kalman.js';
import { cholesky, multiply, repairCovariance, spdInverse, zeros } from './linalg.js';
import { gaussianSource } from './circleDrive.js';

const PY = '/usr/bin/python3';
function python(code: string): string | undefined {
  if (!existsSync(PY)) return undefined;
  try {
    return execFileSync(PY, ['-c', code], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

describe('linear algebra against numpy', () => {
  it('inverts a random 15×15 SPD matrix and factors it like numpy.linalg', () => {
    const n = 15;
    const g = gaussianSource(7);
    const a = Float64Array.from({ length: n * n }, () => g());
    const spd = zeros(n);
    // A·Aᵀ + n·I is SPD.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += (a[i * n + k] ?? 0) * (a[j * n + k] ?? 0);
      spd[i * n + j] = s;
    }
    const inv = zeros(n);
    expect(spdInverse(spd, n, inv, zeros(n))).toBe(true);
    const l = zeros(n);
    expect(cholesky(spd, n, l)).toBe(true);
    const out = python(`import numpy as np, json; m=np.array(json.loads('${JSON.stringify(Array.from(spd))}')).reshape(${n},${n}); print(json.dumps({'inv': np.linalg.inv(m).ravel().tolist(), 'chol': np.linalg.cholesky(m).ravel().tolist()}))`);
    if (out === undefined) {
      console.warn('skipped numpy comparison: /usr/bin/python3 with numpy absent');
      // Still check A·A⁻¹ = I by hand.
      const prod = multiply(spd, inv, n, n, n, zeros(n));
      for (let i = 0; i < n; i++) expect(prod[i * n + i]).toBeCloseTo(1, 9);
      return;
    }
    const ref = JSON.parse(out) as { inv: number[]; chol: number[] };
    ref.inv.forEach((v, i) => { expect(inv[i]).toBeCloseTo(v, 10); });
    ref.chol.forEach((v, i) => { expect(l[i]).toBeCloseTo(v, 10); });
  });

  it('repairs an indefinite covariance into an SPD one and says so', () => {
    const p = Float64Array.of(1, 2, 2, 1); // eigenvalues 3 and −1
    const fallback = Float64Array.of(1, 0, 0, 1);
    expect(repairCovariance(p, 2, zeros(2), fallback)).toBe('jitter');
    expect(cholesky(p, 2, zeros(2))).toBe(true);
    const bad = Float64Array.of(1, Number.NaN, Number.NaN, 1);
    expect(repairCovariance(bad, 2, zeros(2), fallback)).toBe('reset');
    expect(Array.from(bad)).toEqual([1, 0, 0, 1]);
  });
});

describe('chi-square quantile against scipy', () => {
  it('matches scipy.stats.chi2.ppf and the textbook table', () => {
    // Table values (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4).
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.841, 3);
    expect(chiSquareQuantile(0.99, 3)).toBeCloseTo(11.345, 3);
    expect(chiSquareQuantile(0.975, 24)).toBeCloseTo(39.364, 3);
    const cases: [number, number][] = [[0.025, 3], [0.975, 3], [0.9995, 1], [0.9995, 3], [0.9995, 6], [0.025, 24], [0.5, 15]];
    const out = python(`from scipy.stats import chi2; import json; print(json.dumps([chi2.ppf(p, k) for p, k in ${JSON.stringify(cases)}]))`);
    if (out === undefined) {
      console.warn('skipped scipy comparison: /usr/bin/python3 with scipy absent');
      return;
    }
    const ref = JSON.parse(out) as number[];
    cases.forEach(([p, k], i) => { expect(chiSquareQuantile(p, k)).toBeCloseTo(ref[i] ?? Number.NaN, 6); });
  });
});

describe('WGS-84 geodetic → ENU', () => {
  it('puts the equator/prime meridian and the pole on the ellipsoid axes', () => {
    const e = geodeticToEcef(0, 0, 0, new Float64Array(3));
    expect(Array.from(e)).toEqual([6_378_137, 0, 0]);
    const pole = geodeticToEcef(90, 0, 0, new Float64Array(3));
    expect(pole[2]).toBeCloseTo(6_356_752.314245, 5); // WGS-84 semi-minor axis b
  });

  it('maps small offsets to metres with the local radii of curvature', () => {
    const f = new EnuFrame(45, 10, 100);
    const out = f.toEnu(45.001, 10.001, 110, new Float64Array(3));
    // At 45°: meridian radius M = a(1−e²)/(1−e² sin²φ)^1.5 = 6 367 381.8 m, N = 6 388 838.3 m.
    const m = 6_367_381.8 + 100;
    const n = 6_388_838.3 + 100;
    expect(out[0]).toBeCloseTo(n * Math.cos(Math.PI / 4) * (0.001 * Math.PI / 180), 1);
    expect(out[1]).toBeCloseTo(m * (0.001 * Math.PI / 180), 1);
    expect(out[2]).toBeCloseTo(10, 1);
  });
});

describe('linear Kalman filter', () => {
  it('matches a hand-computed scalar update and a constant-velocity prediction', () => {
    // x=0, P=4, z=2, R=1: K = 4/5, x = 1.6, P = 0.8.
    const kf = new LinearKalmanFilter([0], [4], 1);
    expect(kf.update([2], Float64Array.of(1), Float64Array.of(1))).toBe('accepted');
    expect(kf.x[0]).toBeCloseTo(1.6, 12);
    expect(kf.p[0]).toBeCloseTo(0.8, 12);
    expect(kf.nis).toBeCloseTo(4 / 5, 12);
    // A 10σ outlier is gated at the 99.95 % chi-square(1) quantile.
    expect(kf.update([1.6 + 10 * Math.sqrt(1.8)], Float64Array.of(1), Float64Array.of(1), chiSquareQuantile(0.9995, 1))).toBe('gated');
    // CV model, dt = 0.5, q = 2: position variance grows by P_vv·dt² + q·dt³/3.
    const cv = new LinearKalmanFilter([0, 1], [1, 0, 0, 1], 1);
    const { f, q } = constantVelocityModel(1, 0.5, 2);
    cv.predict(f, q);
    expect(cv.x[0]).toBeCloseTo(0.5, 12);
    expect(cv.p[0]).toBeCloseTo(1 + 0.25 + (2 * 0.125) / 3, 12);
    expect(cv.p[1]).toBeCloseTo(0.5 + (2 * 0.25) / 2, 12);
    expect(cv.p[3]).toBeCloseTo(1 + 2 * 0.5, 12);
  });
});
