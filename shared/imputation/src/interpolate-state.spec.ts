import type { SensorState } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { interpolateSensorState } from './index.js';

const T0 = 1_767_225_600_000_000;

function state(seq: number, timeUs: number, values: number[], std: number[], extra: Partial<SensorState> = {}): SensorState {
  return {
    rigId: 'rig-1', sensorId: 'tyre_fl', seq, captureTimeUs: timeUs, publishTimeUs: timeUs + 2_000, frameId: 'base_link',
    sensorType: 'pressure', unit: 'Pa', values, std, measured: values,
    outlier: false, stuck: false, outOfRange: false, imputed: false, imputationMethod: 'none', imputationDraws: 0, predictorSensorIds: [], sinceMeasuredUs: 0,
    ...extra,
  };
}

const round = (xs: readonly number[]): number[] => xs.map((x) => Number(x.toFixed(9)));

describe('interpolateSensorState', () => {
  // Two readings 400 ms apart; a pivot 100 ms after the first is at fraction 100 000 / 400 000 = 0.25.
  const before = state(7, T0, [10, -4], [0.2, 1.0]);
  const after = state(8, T0 + 400_000, [14, 6], [0.6, 2.0]);

  it('interpolates values and std linearly, fields from the nearer end (hand-computed)', () => {
    const q = interpolateSensorState(before, after, 100_000 / 400_000);
    // 10 + 0.25·(14 − 10) = 11, −4 + 0.25·(6 − (−4)) = −1.5; std 0.75·0.2 + 0.25·0.6 = 0.3, 0.75·1 + 0.25·2 = 1.25.
    expect(round(q.values)).toEqual([11, -1.5]);
    expect(round(q.std)).toEqual([0.3, 1.25]);
    expect([q.seq, q.captureTimeUs, q.publishTimeUs]).toEqual([7, T0, T0 + 2_000]);
    // Nothing was read at the pivot.
    expect(q.measured).toEqual([]);
    expect([q.imputed, q.imputationMethod, q.sinceMeasuredUs]).toEqual([false, 'none', 0]);

    // 300 ms after the first: fraction 0.75 → 13, 3.5; std 0.5, 1.75; the after end is nearer.
    const r = interpolateSensorState(before, after, 0.75);
    expect(round(r.values)).toEqual([13, 3.5]);
    expect(round(r.std)).toEqual([0.5, 1.75]);
    expect([r.seq, r.captureTimeUs]).toEqual([8, T0 + 400_000]);

    // Exactly half-way: the mean of the ends, fields from the after end.
    const m = interpolateSensorState(before, after, 0.5);
    expect(round(m.values)).toEqual([12, 1]);
    expect(round(m.std)).toEqual([0.4, 1.5]);
    expect(m.seq).toBe(8);
    // The inputs are left as they were.
    expect([before.values, before.measured, after.values]).toEqual([[10, -4], [10, -4], [14, 6]]);
  });

  it('does not extrapolate: fractions outside [0, 1] give one end\'s values', () => {
    for (const f of [-0.5, 0, -Infinity]) {
      const q = interpolateSensorState(before, after, f);
      expect([q.values, q.std, q.seq], `fraction ${f}`).toEqual([[10, -4], [0.2, 1.0], 7]);
    }
    for (const f of [1, 1.7, Infinity]) {
      const q = interpolateSensorState(before, after, f);
      expect([q.values, q.std, q.seq], `fraction ${f}`).toEqual([[14, 6], [0.6, 2.0], 8]);
    }
  });

  it('keeps a gap visible: imputed from either end, its method, the longer time since a measurement', () => {
    const filled = state(8, T0 + 400_000, [14, 6], [0.6, 2.0], { imputed: true, imputationMethod: 'kalman', sinceMeasuredUs: 300_000, measured: [] });
    const a = interpolateSensorState(before, filled, 0.25);
    expect([a.imputed, a.imputationMethod, a.sinceMeasuredUs]).toEqual([true, 'kalman', 300_000]);
    expect(round(a.values)).toEqual([11, -1.5]);

    // Both ends imputed: the before end's method, the larger staleness (500 ms, from the after end).
    const gapStart = state(7, T0, [10, -4], [0.2, 1.0], { imputed: true, imputationMethod: 'linear', sinceMeasuredUs: 100_000, measured: [] });
    const gapEnd = state(8, T0 + 400_000, [14, 6], [0.6, 2.0], { imputed: true, imputationMethod: 'multiple', imputationDraws: 20, sinceMeasuredUs: 500_000, measured: [] });
    const b = interpolateSensorState(gapStart, gapEnd, 0.75);
    expect([b.imputed, b.imputationMethod, b.sinceMeasuredUs, b.imputationDraws]).toEqual([true, 'linear', 500_000, 20]);

    // Flags from either end are kept.
    const c = interpolateSensorState(state(7, T0, [1], [1], { outlier: true }), state(8, T0 + 1, [1], [1], { stuck: true }), 0.1);
    expect([c.outlier, c.stuck, c.outOfRange]).toEqual([true, true, false]);
  });

  it('keeps the before value of a component the after state lacks', () => {
    // A vector sensor whose after state has two of three components: 0.5·(1 + 3) = 2, 0.5·(2 + 4) = 3, third stays 3.
    const q = interpolateSensorState(state(1, T0, [1, 2, 3], [0.1, 0.1, 0.1]), state(2, T0 + 100_000, [3, 4], [0.3, 0.3]), 0.5);
    expect(round(q.values)).toEqual([2, 3, 3]);
    expect(round(q.std)).toEqual([0.2, 0.2, 0.1]);
  });
});
