import { describe, expect, it } from 'vitest';
import { gaussianSource } from './circleDrive.js';
import { ctrvModel, ExtendedKalmanFilter } from './ekf.js';
import { zeros } from './linalg.js';

describe('CTRV motion model', () => {
  it('drives a quarter circle and a straight line as hand-calculated', () => {
    const model = ctrvModel(0.5, 0.1);
    const out = new Float64Array(5);
    // v = 10 m/s, ω = 0.1 rad/s from the origin heading east: circle of radius 100 centred at (0, 100).
    model(Float64Array.of(0, 0, 0, 10, 0.1), Math.PI / 2 / 0.1, out, zeros(5), zeros(5));
    expect(out[0]).toBeCloseTo(100, 9);
    expect(out[1]).toBeCloseTo(100, 9);
    expect(out[2]).toBeCloseTo(Math.PI / 2, 12);
    model(Float64Array.of(1, 2, Math.PI / 6, 4, 0), 2, out, zeros(5), zeros(5));
    expect(out[0]).toBeCloseTo(1 + 8 * Math.cos(Math.PI / 6), 12);
    expect(out[1]).toBeCloseTo(2 + 8 * Math.sin(Math.PI / 6), 12);
  });

  it('has a Jacobian that matches central finite differences (turning and straight)', () => {
    const model = ctrvModel(0.5, 0.1);
    for (const x of [Float64Array.of(3, -1, 0.7, 8, 0.3), Float64Array.of(3, -1, 0.7, 8, 0)]) {
      const f = zeros(5);
      model(x, 0.1, new Float64Array(5), f, zeros(5));
      const eps = 1e-5;
      for (let j = 0; j < 5; j++) {
        const xp = Float64Array.from(x);
        const xm = Float64Array.from(x);
        xp[j] = (xp[j] ?? 0) + eps;
        xm[j] = (xm[j] ?? 0) - eps;
        const op = new Float64Array(5);
        const om = new Float64Array(5);
        model(xp, 0.1, op, zeros(5), zeros(5));
        model(xm, 0.1, om, zeros(5), zeros(5));
        for (let i = 0; i < 5; i++) expect(f[i * 5 + j]).toBeCloseTo(((op[i] ?? 0) - (om[i] ?? 0)) / (2 * eps), 4);
      }
    }
  });
});

describe('ExtendedKalmanFilter with CTRV', () => {
  it('tracks a turning target from noisy positions better than the raw measurements', () => {
    const g = gaussianSource(3);
    const sigma = 1;
    const ekf = new ExtendedKalmanFilter([0, 0, 0, 5, 0], [4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 25, 0, 0, 0, 0, 0, 0.25], 2, [2]);
    const model = ctrvModel(0.5, 0.05);
    const position = (x: Float64Array, z: Float64Array, h: Float64Array): void => {
      z[0] = x[0] ?? 0;
      z[1] = x[1] ?? 0;
      h.fill(0);
      h[0] = 1;
      h[6] = 1;
    };
    const r = Float64Array.of(sigma ** 2, 0, 0, sigma ** 2);
    const errs: number[] = [];
    const raw: number[] = [];
    const rates: number[] = [];
    const v = 10;
    const w = 0.2;
    for (let k = 1; k <= 300; k++) {
      const t = k * 0.1;
      // Truth: circle of radius v/ω from the origin heading east.
      const tx = (v / w) * Math.sin(w * t);
      const ty = (v / w) * (1 - Math.cos(w * t));
      ekf.predict(model, 0.1);
      const zx = tx + g() * sigma;
      const zy = ty + g() * sigma;
      ekf.update([zx, zy], position, r);
      if (t > 5) {
        errs.push(Math.hypot((ekf.x[0] ?? 0) - tx, (ekf.x[1] ?? 0) - ty));
        raw.push(Math.hypot(zx - tx, zy - ty));
        rates.push(ekf.x[4] ?? 0);
      }
    }
    const rms = (a: number[]): number => Math.sqrt(a.reduce((s, e) => s + e * e, 0) / a.length);
    expect(rms(errs)).toBeLessThan(0.6 * rms(raw));
    expect(ekf.x[3]).toBeCloseTo(v, 0);
    const meanRate = rates.reduce((a, b) => a + b, 0) / rates.length;
    expect(Math.abs(meanRate - w)).toBeLessThan(0.03);
    expect(Math.abs(ekf.x[2] ?? 9)).toBeLessThanOrEqual(Math.PI);
  });
});
