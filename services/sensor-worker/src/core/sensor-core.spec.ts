import { gaussian, seededRandom, UnitMismatchError, UnknownUnitError } from '@sensorfuse/imputation';
import type { SensorState } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { loadSensorConfig } from '../config.js';
import { metadata, reading, T0 } from '../readings.spec-helper.js';
import { DuplicateReadingError, InvalidReadingError, OutOfOrderReadingError } from './errors.js';
import { createSensorCoreStats, SensorCore } from './sensor-core.js';

const S = 1_000_000;

function core(env: Record<string, string> = {}): SensorCore {
  return new SensorCore({ params: loadSensorConfig(env).sensor, nowUs: () => T0, stats: createSensorCoreStats() });
}

function allFinite(states: readonly SensorState[]): boolean {
  return states.every((s) => [...s.values, ...s.std, ...s.measured].every(Number.isFinite) && s.std.every((x) => x > 0));
}

describe('SensorCore unit normalisation', () => {
  it('publishes a °F reading in °C and a psi / km/h vector in SI', () => {
    const c = core();
    const [t] = c.update(reading('cabin', 0, T0, [212], 'degF'));
    expect(t?.unit).toBe('degC');
    expect(t?.measured[0]).toBeCloseTo(100, 9);
    expect(t?.values[0]).toBeCloseTo(100, 9);
    const [p] = c.update(reading('tyres', 0, T0, [32, 33], 'psi', 'pressure'));
    expect(p?.unit).toBe('Pa');
    expect(p?.measured[0]).toBeCloseTo(32 * 6894.757293168, 3);
    const [v] = c.update(reading('wheels', 0, T0, [36, 36, 36, 36], 'km/h', 'wheel_speed'));
    expect(v?.unit).toBe('m/s');
    expect(v?.values).toEqual([10, 10, 10, 10].map((x) => expect.closeTo(x, 9) as unknown as number));
  });
});

describe('SensorCore outlier filter on spikes with known positions', () => {
  it('finds the spikes (precision and recall ≥ 0.9) and raises no alarm on the clean signal', () => {
    const random = seededRandom(11);
    const spikeAt = new Set<number>();
    while (spikeAt.size < 40) spikeAt.add(20 + Math.floor(random() * 1960));
    const clean = core();
    const spiky = core();
    let tp = 0;
    let fp = 0;
    let cleanAlarms = 0;
    for (let i = 0; i < 2000; i++) {
      const t = T0 + i * 100_000;
      const truth = 20 + 2 * Math.sin(i / 150) + 0.001 * i;
      const x = truth + 0.1 * gaussian(random);
      const spike = spikeAt.has(i) ? (random() < 0.5 ? -1 : 1) * (1 + 3 * random()) : 0;
      const [a] = clean.update(reading('t', i, t, [x], 'degC', 'temperature', { metadata: metadata('degC', -40, 85, 10, 0, 0.1) }));
      const [b] = spiky.update(reading('t', i, t, [x + spike], 'degC', 'temperature', { metadata: metadata('degC', -40, 85, 10, 0, 0.1) }));
      if (a?.outlier === true) cleanAlarms++;
      if (b?.outlier === true) {
        if (spike !== 0) tp++;
        else fp++;
      }
    }
    const precision = tp / (tp + fp);
    const recall = tp / spikeAt.size;
    console.log(`spike detection: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (${spikeAt.size} spikes of 1..4 °C on σ = 0.1 °C), clean alarms ${cleanAlarms} / 2000`);
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(cleanAlarms).toBe(0);
  });
});

describe('SensorCore stuck and out-of-range detection', () => {
  it('reports a stuck sensor at the first reading at or after its configured window, and imputes it', () => {
    const c = core({ SENSORFUSE_SENSOR_SENSOR_STUCK_WINDOW_US: String(5 * S) });
    const random = seededRandom(2);
    const out: SensorState[] = [];
    for (let i = 0; i < 200; i++) {
      // 1 Hz readings; frozen at 21.37 from t = 100 s.
      const x = i < 100 ? 21 + 0.1 * gaussian(random) : 21.37;
      out.push(...c.update(reading('t', i, T0 + i * S, [x], 'degC')));
    }
    const firstStuck = out.findIndex((s) => s.stuck);
    expect(out[firstStuck]?.captureTimeUs).toBe(T0 + 105 * S);
    expect(out.slice(0, firstStuck).some((s) => s.stuck)).toBe(false);
    expect(out.slice(firstStuck).every((s) => s.stuck && s.imputed && s.imputationMethod === 'kalman')).toBe(true);
  });

  it('applies new metadata: a coarser resolution stops quantisation steps from counting as outliers or stuck', () => {
    const c = core({ SENSORFUSE_SENSOR_SENSOR_STUCK_WINDOW_US: String(3 * S) });
    const fine = metadata('degC', -40, 85, 1, 0, 0.01);
    const coarse = metadata('degC', -40, 85, 1, 1, 0.01);
    const toggling = [10, 10, 10, 10, 10, 10, 11, 10, 10];
    const before = toggling.map((x, i) => c.update(reading('q', i, T0 + i * S, [x], 'degC', 'temperature', { metadata: fine }))[0]);
    // With σ floor 0.01 a one-degree step is an outlier, and 10.0 repeated for 3 s is "stuck".
    expect(before.some((s) => s?.outlier === true)).toBe(true);
    expect(before.some((s) => s?.stuck === true)).toBe(true);
    const after = toggling.map((x, i) => c.update(reading('q', 100 + i, T0 + (100 + i) * S, [x], 'degC', 'temperature', { metadata: coarse })).at(-1));
    // Resolution 1 °C: σ floor 1 (threshold 4.5 °C) and a stuck tolerance of 0.5 °C: the 11 resets the run.
    expect(after.map((s) => s?.outlier)).toEqual(toggling.map(() => false));
    expect(after.slice(6).some((s) => s?.stuck === true)).toBe(false);
  });

  it('flags a reading outside the metadata range, keeps its measured value, and imputes the estimate', () => {
    const c = core();
    const m = metadata('degC', -40, 85, 1);
    for (let i = 0; i < 10; i++) c.update(reading('t', i, T0 + i * S, [20 + 0.01 * i], 'degC', 'temperature', { metadata: m }));
    const [s] = c.update(reading('t', 10, T0 + 10 * S, [500], 'degC', 'temperature', { metadata: m }));
    expect(s?.outOfRange).toBe(true);
    expect(s?.imputed).toBe(true);
    expect(s?.measured).toEqual([500]);
    expect(s?.values[0]).toBeCloseTo(20.09, 1);
  });
});

describe('SensorCore imputation of missing samples and silent sensors', () => {
  it('fills a gap of four missing samples once the next reading arrives, flagged linear, seq contiguous', () => {
    const c = core();
    const out: SensorState[] = [];
    const m = metadata('degC', -40, 85, 10, 0, 0.05);
    // A noise-free ramp of 0.02 °C per sample; samples 20..23 are lost.
    for (let i = 0; i < 20; i++) out.push(...c.update(reading('t', i, T0 + i * 100_000, [20 + 0.02 * i], 'degC', 'temperature', { metadata: m })));
    out.push(...c.update(reading('t', 24, T0 + 24 * 100_000, [20 + 0.02 * 24], 'degC', 'temperature', { metadata: m })));
    const tail = out.slice(20);
    expect(tail.map((s) => s.captureTimeUs - T0)).toEqual([2_000_000, 2_100_000, 2_200_000, 2_300_000, 2_400_000]);
    expect(tail.map((s) => s.imputationMethod)).toEqual(['linear', 'linear', 'linear', 'linear', 'none']);
    expect(out.map((s) => s.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const gap = tail.slice(0, 4).map((s) => s.values[0] ?? 0);
    for (let i = 1; i < gap.length; i++) expect(gap[i]).toBeGreaterThan(gap[i - 1] ?? 0);
    // Between the filtered value at sample 19 (it lags the ramp) and the reading 20.48.
    expect(gap[0]).toBeGreaterThan(20.2);
    expect(gap[3]).toBeLessThan(20.48);
    expect(tail.slice(0, 4).every((s) => s.imputed && (s.std[0] ?? 0) > 0 && s.measured.length === 0)).toBe(true);
  });

  it('reports multiple imputation with its number of draws when configured', () => {
    const c = core({ SENSORFUSE_SENSOR_SENSOR_GAP_METHOD: 'multiple', SENSORFUSE_SENSOR_SENSOR_MULTIPLE_DRAWS: '25' });
    const m = metadata('degC', -40, 85, 10);
    for (let i = 0; i < 10; i++) c.update(reading('t', i, T0 + i * 100_000, [20], 'degC', 'temperature', { metadata: m }));
    const out = c.update(reading('t', 13, T0 + 13 * 100_000, [20], 'degC', 'temperature', { metadata: m }));
    expect(out.map((s) => [s.imputationMethod, s.imputationDraws])).toEqual([
      ['multiple', 25],
      ['multiple', 25],
      ['multiple', 25],
      ['none', 0],
    ]);
  });

  it('imputes a silent sensor in real time from a correlated partner on the same rig (learned y = 3 + 2x)', () => {
    const c = core({ SENSORFUSE_SENSOR_SENSOR_CROSS_SENSOR_FORGETTING: '1' });
    const random = seededRandom(5);
    const m = metadata('degC', -100, 200, 10, 0, 0.05);
    const out: SensorState[] = [];
    let x = 20;
    const truthA: number[] = [];
    for (let i = 0; i < 1200; i++) {
      const t = T0 + i * 100_000;
      x += 0.05 * gaussian(random);
      const a = 3 + 2 * x;
      truthA.push(a);
      out.push(...c.update(reading('b', i, t, [x + 0.05 * gaussian(random)], 'degC', 'temperature', { metadata: m })));
      // Sensor a goes silent after 60 s (sample 600).
      if (i < 600) out.push(...c.update(reading('a', i, t + 10, [a + 0.05 * gaussian(random)], 'degC', 'temperature', { metadata: m })));
    }
    const fit = c.regression('a', 'b');
    expect(fit?.slope).toBeCloseTo(2, 1);
    expect(fit?.intercept).toBeCloseTo(3, 0);
    const silent = out.filter((s) => s.sensorId === 'a' && s.captureTimeUs >= T0 + 60 * S);
    expect(silent.length).toBeGreaterThan(550);
    expect(silent.every((s) => s.imputationMethod === 'cross_sensor' && s.predictorSensorIds.join() === 'b')).toBe(true);
    let ss = 0;
    let inside = 0;
    for (const s of silent) {
      const i = Math.round((s.captureTimeUs - T0) / 100_000);
      const e = (s.values[0] ?? 0) - (truthA[i] ?? 0);
      ss += e * e;
      if (Math.abs(e) <= 1.96 * (s.std[0] ?? 0)) inside++;
    }
    const rmse = Math.sqrt(ss / silent.length);
    console.log(`cross-sensor imputation of a silent sensor: RMSE ${rmse.toFixed(3)} °C, 95 % coverage ${(inside / silent.length).toFixed(3)} over ${silent.length} samples`);
    // Partner noise 0.05 × slope 2 plus filter lag; Kalman prediction would drift by √(q·t) ≈ 1 °C after 60 s.
    expect(rmse).toBeLessThan(0.2);
    expect(inside / silent.length).toBeGreaterThan(0.85);
    expect(silent.at(-1)?.sinceMeasuredUs).toBeGreaterThan(50 * S);
  });
});

describe('SensorCore gap imputation calibration on a known random walk', () => {
  it('linear and multiple gap records cover the truth at about their nominal 95 %', () => {
    // Truth: random walk q = 0.01 °C²/s sampled at 10 Hz, noise σ 0.05 °C (the profile and
    // metadata say the same), 20 % of the samples removed in bursts of 1..20.
    const results: Record<string, { rmse: number; coverage: number; n: number }> = {};
    for (const gapMethod of ['linear', 'multiple'] as const) {
      let ss = 0;
      let inside = 0;
      let n = 0;
      for (let seed = 1; seed <= 5; seed++) {
        const c = new SensorCore({
          params: loadSensorConfig({ SENSORFUSE_SENSOR_SENSOR_GAP_METHOD: gapMethod }).sensor,
          profiles: { temperature: { processNoise: 0.01 } },
          nowUs: () => T0,
        });
        const random = seededRandom(seed);
        const truth: number[] = [];
        let x = 20;
        let lost = 0;
        const m = metadata('degC', -40, 85, 10, 0, 0.05);
        for (let i = 0; i < 3000; i++) {
          if (i > 0) x += Math.sqrt(0.01 * 0.1) * gaussian(random);
          truth.push(x);
          const y = x + 0.05 * gaussian(random);
          if (lost === 0 && i > 20 && random() < 0.02) lost = 1 + Math.floor(random() * 20);
          if (lost > 0) {
            lost--;
            continue;
          }
          for (const s of c.update(reading('t', i, T0 + i * 100_000, [y], 'degC', 'temperature', { metadata: m }))) {
            if (!s.imputed) continue;
            const k = Math.round((s.captureTimeUs - T0) / 100_000);
            const e = (s.values[0] ?? 0) - (truth[k] ?? 0);
            ss += e * e;
            if (Math.abs(e) <= 1.96 * (s.std[0] ?? 0)) inside++;
            n++;
          }
        }
      }
      results[gapMethod] = { rmse: Math.sqrt(ss / n), coverage: inside / n, n };
    }
    console.log(`online gap imputation: ${JSON.stringify(results)}`);
    for (const r of Object.values(results)) {
      expect(r.n).toBeGreaterThan(1500);
      expect(r.coverage).toBeGreaterThanOrEqual(0.9);
      expect(r.coverage).toBeLessThanOrEqual(0.99);
    }
  });
});

describe('SensorCore bad input', () => {
  it('turns a NaN flood into flagged Kalman imputations, never NaN out', () => {
    const c = core();
    const out: SensorState[] = [];
    for (let i = 0; i < 10; i++) out.push(...c.update(reading('t', i, T0 + i * S, [20], 'degC')));
    for (let i = 10; i < 200; i++) out.push(...c.update(reading('t', i, T0 + i * S, [i % 2 ? Number.NaN : Number.POSITIVE_INFINITY], 'degC')));
    out.push(...c.update(reading('t', 200, T0 + 200 * S, [20], 'degC', 'temperature', { quality: 'invalid' })));
    expect(allFinite(out)).toBe(true);
    expect(out.slice(10).every((s) => s.imputed && s.imputationMethod === 'kalman')).toBe(true);
    // The prediction's uncertainty grows while nothing is measured.
    expect(out.at(-1)?.std[0]).toBeGreaterThan(out[10]?.std[0] ?? Number.POSITIVE_INFINITY);
  });

  it('rejects duplicates, time going backwards, wrong and unknown units, and readings it cannot start from', () => {
    const c = core();
    c.update(reading('t', 5, T0 + 5 * S, [20], 'degC'));
    expect(() => c.update(reading('t', 5, T0 + 5 * S, [20], 'degC'))).toThrow(DuplicateReadingError);
    expect(() => c.update(reading('t', 6, T0 + 4 * S, [20], 'degC'))).toThrow(OutOfOrderReadingError);
    expect(() => c.update(reading('t', 7, T0 + 7 * S, [20], 'hPa'))).toThrow(UnitMismatchError);
    expect(() => c.update(reading('t', 7, T0 + 7 * S, [20], 'furlongs'))).toThrow(UnknownUnitError);
    expect(() => c.update(reading('t', 7, T0 + 7 * S, [20, 21], 'degC'))).toThrow(InvalidReadingError);
    expect(() => c.update(reading('u', 0, T0, [Number.NaN], 'degC'))).toThrow(/no estimate yet to impute from/);
    expect(() => c.update(reading('v', 0, T0, [], 'degC'))).toThrow(InvalidReadingError);
    expect(() => c.update(reading('w', 0, T0, [1000], 'degC'))).toThrow(InvalidReadingError);
    expect(() => c.update(reading('x', 0, T0, [1], 'degC', 'temperature', { metadata: metadata('degC', 10, -10, 1) }))).toThrow(/min < max/);
    // After all that, the good sensor still works.
    const after = c.update(reading('t', 8, T0 + 8 * S, [20.1], 'degC'));
    expect(after.map((s) => [s.captureTimeUs - T0, s.imputed])).toEqual([
      [6 * S, true],
      [7 * S, true],
      [8 * S, false],
    ]);
  });
});
