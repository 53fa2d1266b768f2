import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from './records.js';
import { presetScenario } from './presets.js';
import { resolveScenario } from './scenario.js';
import { CoreSimulation } from './simulation-core.js';

function deviceRecords(core: CoreSimulation): DeviceRecord[] {
  const out: DeviceRecord[] = [];
  for (const r of core.records()) if (r.kind === 'device') out.push(r);
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;

describe('device sensors (raw.sensor)', () => {
  const scenario = { ...presetScenario('urban-day'), durationS: 20 };

  it('are deterministic by seed', () => {
    const a = deviceRecords(new CoreSimulation(scenario, { seed: 3, sensors: ['device'] }));
    const b = deviceRecords(new CoreSimulation(scenario, { seed: 3, sensors: ['device'] }));
    const c = deviceRecords(new CoreSimulation(scenario, { seed: 4, sensors: ['device'] }));
    expect(a.length).toBeGreaterThan(900); // 5 sensors × 10 Hz × 20 s, minus the battery's silent 5 s
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('report rear wheel speeds that average to the ego speed and differ by yaw rate × track', () => {
    const core = new CoreSimulation(scenario, { seed: 3, sensors: ['device'] });
    const speedErr: number[] = [];
    const rateErr: number[] = [];
    for (const r of deviceRecords(core)) {
      if (r.sensorId !== 'wheel_speed' || r.fault !== 'none') continue;
      const [left, right] = r.values;
      if (left === undefined || right === undefined || Number.isNaN(left) || Number.isNaN(right)) continue;
      // Independent truth: the world's ego kinematics (speed at the rear axle, body yaw rate).
      const k = core.world.egoKinematics((r.trueCaptureTimeUs - core.startTimeUs) / 1e6);
      speedErr.push((left + right) / 2 - k.speedMps);
      rateErr.push((right - left) / 1.6 - k.angularVelocityBody[2]);
    }
    expect(speedErr.length).toBeGreaterThan(150);
    const rms = Math.sqrt(mean(speedErr.map((e) => e * e)));
    // Per wheel σ 0.03 m/s → the average has σ 0.021 m/s (+ 0.01 m/s quantisation).
    expect(rms).toBeLessThan(0.035);
    expect(rms).toBeGreaterThan(0.01);
    expect(Math.abs(mean(speedErr))).toBeLessThan(0.01);
    expect(Math.sqrt(mean(rateErr.map((e) => e * e)))).toBeLessThan(0.05); // σ √2·0.03/1.6 = 0.027 rad/s
  });

  it('freeze exactly during a stuck window and send nothing during a silent one', () => {
    const sc = resolveScenario({ durationS: 20, sensors: { devices: { stuck: [{ sensorId: 'tyre_pressure', fromS: 6, durationS: 4 }], silent: [{ sensorId: 'battery', fromS: 10, durationS: 5 }] } } });
    const core = new CoreSimulation(sc, { seed: 3, sensors: ['device'] });
    const recs = deviceRecords(core);
    const at = (r: DeviceRecord): number => (r.trueCaptureTimeUs - core.startTimeUs) / 1e6;
    const stuck = recs.filter((r) => r.sensorId === 'tyre_pressure' && at(r) >= 6 && at(r) < 10);
    expect(stuck.length).toBeGreaterThanOrEqual(39);
    const first = stuck[0]?.values ?? [];
    for (const r of stuck) expect(r.values).toEqual(first);
    // Outside the window the same sensor does change from one reading to the next.
    const free = recs.filter((r) => r.sensorId === 'tyre_pressure' && at(r) >= 11);
    const changes = free.slice(1).filter((r, i) => JSON.stringify(r.values) !== JSON.stringify(free[i]?.values)).length;
    expect(changes).toBeGreaterThan(free.length * 0.9);
    const battery = recs.filter((r) => r.sensorId === 'battery');
    expect(battery.filter((r) => at(r) >= 10 && at(r) < 15)).toHaveLength(0);
    expect(battery.filter((r) => at(r) >= 15).length).toBeGreaterThan(45);
    // Its seq jumps over the silence (50 readings at 10 Hz).
    const gap = battery.find((r) => at(r) >= 15);
    const before = battery.filter((r) => at(r) < 10).at(-1);
    expect((gap?.seq ?? 0) - (before?.seq ?? 0)).toBe(51);
  });

  it('measure the same air in °C and °F (converted by hand), with spikes at the configured rate', () => {
    const sc = resolveScenario({ durationS: 60, sensors: { devices: { spikeProbability: 0.02, componentDropoutProbability: 0 } } });
    const core = new CoreSimulation(sc, { seed: 8, sensors: ['device'] });
    const recs = deviceRecords(core);
    const c = recs.filter((r) => r.sensorId === 'ambient_temp' && r.fault === 'none').map((r) => r.values[0] ?? Number.NaN);
    const f = recs.filter((r) => r.sensorId === 'ambient_temp_f' && r.fault === 'none').map((r) => ((r.values[0] ?? Number.NaN) - 32) * (5 / 9));
    expect(recs.find((r) => r.sensorId === 'ambient_temp_f')?.unit).toBe('degF');
    expect(Math.abs(mean(c) - mean(f))).toBeLessThan(0.1);
    expect(mean(c)).toBeGreaterThan(16);
    expect(mean(c)).toBeLessThan(20);
    const spikes = recs.filter((r) => r.fault === 'spike').length;
    // 5 sensors × 600 readings × 2 % = 60 expected (minus the stuck and silent windows).
    expect(spikes).toBeGreaterThan(30);
    expect(spikes).toBeLessThan(90);
    // A spike is far from the truth (≥ 10 σ), a normal reading is not.
    for (const r of recs.filter((x) => x.sensorId === 'battery')) {
      const dev = Math.abs((r.values[0] ?? 0) - (r.trueValues[0] ?? 0));
      if (r.fault === 'spike') expect(dev).toBeGreaterThan(0.15);
      else expect(dev).toBeLessThan(0.1);
    }
  });
});
