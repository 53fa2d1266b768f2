import { alignByPivot, type AlignedFrame, type InputRecord } from '@sensorfuse/align';
import { interpolateSensorState } from '@sensorfuse/imputation';
import type { SensorState } from '@sensorfuse/schemas';
import { CoreSimulation, DEVICE_SPECS, presetScenario, resolveScenario, toSensorReading } from '@sensorfuse/simulator';
import { from, lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadSensorConfig } from './config.js';
import { createSensorCoreStats, SensorCore } from './core/sensor-core.js';

// The simulator's device sensors (urban-day: °C and °F thermometers, 4 tyre pressures, battery, rear
// wheel speeds at 10 Hz with noise, quantisation, spikes, a stuck window and a silent one) through the
// sensor worker's core, then through alignByPivot as the fusion worker feeds them (one input, groupBy
// sensor) at 10 Hz sweep times half-way between device samples, and scored against the simulator's
// true values (SI) at the sweep time.
type P = SensorState | null;
const siUnit = new Map(DEVICE_SPECS.map((d) => [d.sensorId, d.siUnit]));

describe('device state at the sweep time, as fused frames carry it, against simulator truth', () => {
  it('is close to the true value with an honest std, in SI units (°F thermometer in °C)', async () => {
    const scenario = resolveScenario({ ...presetScenario('urban-day'), durationS: 10 });
    const sim = new CoreSimulation(scenario, { seed: 3, sensors: ['device'], truth: 'omit' });
    const core = new SensorCore({ params: loadSensorConfig({}).sensor, nowUs: () => sim.startTimeUs, stats: createSensorCoreStats() });
    const inputs: InputRecord<P>[] = [];
    /** True SI values per sensor at each device sample time (the simulator's, beside each record). */
    const truth = new Map<string, { t: number; v: readonly number[] }[]>();
    let nextSweepUs = sim.startTimeUs + 1_050_000;
    let sweepSeq = 0;
    for (const r of sim.records()) {
      if (r.kind !== 'device') continue;
      const series = truth.get(r.sensorId) ?? [];
      series.push({ t: r.captureTimeUs, v: r.trueValues });
      truth.set(r.sensorId, series);
      // Sweeps in capture order with the device records (as the aligner would receive them live).
      while (nextSweepUs <= r.captureTimeUs && nextSweepUs < sim.endTimeUs - 600_000) {
        inputs.push({ input: 'lidar', record: { sensorId: 'lidar_top', seq: sweepSeq++, captureTimeUs: nextSweepUs, payload: null } });
        nextSweepUs += 100_000;
      }
      for (const s of core.update(toSensorReading(r))) {
        inputs.push({ input: 'sensor', record: { sensorId: s.sensorId, seq: s.seq, captureTimeUs: s.captureTimeUs, payload: s } });
      }
    }
    const frames: AlignedFrame<P>[] = await lastValueFrom(
      from(inputs).pipe(
        alignByPivot<P>({
          pivot: { name: 'lidar' },
          inputs: [{
            name: 'sensor', select: 'interpolate', groupBy: 'sensor', matchWindowUs: 500_000, maxOutOfOrderUs: 50_000,
            interpolate: (a, b, f) => (a.payload !== null && b.payload !== null ? interpolateSensorState(a.payload, b.payload, f) : null),
          }],
        }, new VirtualTimeScheduler()),
        toArray(),
      ),
    );
    const trueAt = (sensorId: string, t: number, i: number): number => {
      const series = truth.get(sensorId) ?? [];
      const k = series.findIndex((x) => x.t >= t);
      const a = series[k - 1];
      const b = series[k];
      if (a === undefined || b === undefined) return Number.NaN;
      // The true signals are smooth over 100 ms (temperatures, pressures, speed): linear between samples.
      return (a.v[i] ?? Number.NaN) + ((b.v[i] ?? Number.NaN) - (a.v[i] ?? Number.NaN)) * ((t - a.t) / (b.t - a.t));
    };
    /** Per sensor: values scored, inside ±2σ, squared error; and the same for states not flagged stuck. */
    const score = new Map<string, { n: number; in2: number; sq: number; unit: string; nFree: number; in2Free: number }>();
    for (const f of frames) {
      const m = f.members['sensor'];
      if (m?.select !== 'interpolate') continue;
      for (const s of m.sensors ?? []) {
        const v = s.value;
        if (v === null) continue;
        if (s.sensorId === 'ambient_temp_f') expect(v.unit).toBe('degC');
        const acc = score.get(s.sensorId) ?? { n: 0, in2: 0, sq: 0, unit: v.unit, nFree: 0, in2Free: 0 };
        v.values.forEach((x, i) => {
          // The simulator's truth is in its spec's unit (kPa for the tyres); the state is in the SI unit of its type.
          const scale = v.unit === 'Pa' && siUnit.get(s.sensorId) === 'kPa' ? 1000 : 1;
          const err = x - scale * trueAt(s.sensorId, f.pivotTimeUs, i);
          if (!Number.isFinite(err)) return;
          const inside = Math.abs(err) <= 2 * (v.std[i] ?? 0) + 1e-9;
          acc.n++;
          acc.sq += err * err;
          if (inside) acc.in2++;
          if (!v.stuck) {
            acc.nFree++;
            if (inside) acc.in2Free++;
          }
        });
        score.set(s.sensorId, acc);
      }
    }
    const all = [...score.values()];
    const n = all.reduce((a, x) => a + x.n, 0);
    const in2 = all.reduce((a, x) => a + x.in2, 0) / n;
    const in2Free = all.reduce((a, x) => a + x.in2Free, 0) / all.reduce((a, x) => a + x.nFree, 0);
    console.log(`device state at ${frames.length} sweeps, ${n} values: inside ±2σ ${(100 * in2).toFixed(1)} % (${(100 * in2Free).toFixed(1)} % of states not flagged stuck); ` +
      [...score].map(([id, x]) => `${id} RMSE ${Math.sqrt(x.sq / x.n).toPrecision(3)} ${x.unit}, ±2σ ${(100 * x.in2 / x.n).toFixed(0)} %`).join('; '));
    expect(frames.length).toBeGreaterThan(80);
    // Every simulated sensor reaches the fused frames (battery is silent 10–15 s: not in this 10 s run).
    expect([...score.keys()].sort()).toEqual(['ambient_temp', 'ambient_temp_f', 'battery', 'tyre_pressure', 'wheel_speed']);
    expect(n).toBeGreaterThan(80 * 9);
    // Close to the truth: thermometers within a few hundredths of a kelvin, wheel speeds within a few cm/s.
    expect(Math.sqrt((score.get('ambient_temp')?.sq ?? Infinity) / (score.get('ambient_temp')?.n ?? 1))).toBeLessThan(0.1);
    expect(Math.sqrt((score.get('ambient_temp_f')?.sq ?? Infinity) / (score.get('ambient_temp_f')?.n ?? 1))).toBeLessThan(0.15);
    expect(Math.sqrt((score.get('wheel_speed')?.sq ?? Infinity) / (score.get('wheel_speed')?.n ?? 1))).toBeLessThan(0.05);
    // The reported std is honest at the sweep for the thermometers and wheel speeds (±2σ holds the truth at
    // about its nominal 95 %). Tyre pressure (72 %: its slow warm-up drift against a confident Kalman state,
    // and a 4 s stuck window, shorter than the default stuckWindowUs of 10 s, so never flagged) and battery (83 %:
    // sag with acceleration) are under-dispersed,
    // measured here and reported in the README rather than hidden.
    for (const id of ['ambient_temp', 'ambient_temp_f', 'wheel_speed']) {
      const x = score.get(id);
      expect((x?.in2 ?? 0) / (x?.n ?? 1), id).toBeGreaterThan(0.9);
    }
    expect(in2).toBeGreaterThan(0.8);
  });
});
