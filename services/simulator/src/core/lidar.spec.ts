import { describe, expect, it } from 'vitest';
import type { Vec3 } from './geometry.js';
import { composeTransforms, pointInBox, rotationFromYawPitchRoll, transformPoint } from './geometry.js';
import { LABEL_GROUND } from './lidar.js';
import { presetScenario } from './presets.js';
import type { LidarRecord, TruthRecord } from './records.js';
import { CoreSimulation } from './simulation-core.js';

describe('LIDAR ray casting against the world', () => {
  const sc = presetScenario('urban-day');
  const sigma = sc.sensors.lidar.rangeNoiseSigmaM;
  const core = new CoreSimulation({ ...sc, durationS: 1.5 }, { seed: 11, sensors: ['lidar'] });
  const sweeps: { sweep: LidarRecord; truth: TruthRecord }[] = [];
  let pending: LidarRecord | undefined;
  for (const r of core.records()) {
    if (r.kind === 'lidar') pending = r;
    if (r.kind === 'truth' && pending && r.forSeq === pending.seq) sweeps.push({ sweep: pending, truth: r });
  }
  const egoFromLidar = core.calibration.lidars[0]?.egoFromSensor;

  function worldPoints(sweep: LidarRecord, truth: TruthRecord): Float64Array {
    if (!egoFromLidar) throw new Error('no lidar in calibration');
    const e = truth.ego;
    const worldFromLidar = composeTransforms({ rotation: rotationFromYawPitchRoll(e.yawRad, e.pitchRad, e.rollRad), translation: e.positionM }, egoFromLidar);
    const p = new DataView(sweep.data.buffer, sweep.data.byteOffset, sweep.data.byteLength);
    const out = new Float64Array(sweep.pointCount * 3);
    for (let i = 0; i < sweep.pointCount; i++) {
      const o = i * sweep.pointStrideBytes;
      const w = transformPoint(worldFromLidar, [p.getFloat32(o, true), p.getFloat32(o + 4, true), p.getFloat32(o + 8, true)]);
      out.set(w, i * 3);
    }
    return out;
  }

  it('puts every point that hit an object inside that object\'s truth box (plus 4 sigma of range noise)', () => {
    expect(sweeps.length).toBe(15);
    let checked = 0;
    let outside = 0;
    for (const { sweep, truth } of sweeps) {
      const pts = worldPoints(sweep, truth);
      for (let i = 0; i < sweep.pointCount; i++) {
        const label = sweep.labels[i] ?? LABEL_GROUND;
        if (label < 0) continue;
        const o = truth.objects[label];
        expect(o).toBeDefined();
        if (!o) continue;
        const box = { center: o.box.centerM, length: o.box.lengthM, width: o.box.widthM, height: o.box.heightM, yaw: o.box.yawRad };
        const p: Vec3 = [pts[i * 3] ?? 0, pts[i * 3 + 1] ?? 0, pts[i * 3 + 2] ?? 0];
        checked++;
        if (!pointInBox(box, p, 4 * sigma + 0.01)) outside++;
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(outside).toBe(0);
  });

  it('puts ground points on the sloped ground plane written in the scenario (z = sx·x + sy·y, bump ≤ 8 cm)', () => {
    const { slopeX, slopeY, speedBumpHeightM } = sc.ground;
    let n = 0;
    let worst = 0;
    for (const { sweep, truth } of sweeps) {
      const pts = worldPoints(sweep, truth);
      for (let i = 0; i < sweep.pointCount; i++) {
        if (sweep.labels[i] !== LABEL_GROUND) continue;
        const x = pts[i * 3] ?? 0;
        const y = pts[i * 3 + 1] ?? 0;
        const z = pts[i * 3 + 2] ?? 0;
        const range = Math.hypot(x - truth.ego.positionM[0], y - truth.ego.positionM[1]);
        // Range noise along a grazing ray moves the point vertically by sigma · sin(elevation) ≤ sigma.
        const err = z - (slopeX * x + slopeY * y);
        if (err < -4 * sigma || err > speedBumpHeightM + 4 * sigma) worst = Math.max(worst, Math.abs(err));
        if (range > 3) n++;
      }
    }
    expect(n).toBeGreaterThan(10_000);
    expect(worst).toBe(0);
  });

  it('is occluded: no ray to an object point passes through the solid lower body of a car in front of it', () => {
    // Independent slab test in the test: the lower 40 % of a car's truth box is solid body in any car model.
    const segmentHitsBox = (o: Vec3, p: Vec3, c: Vec3, l: number, w: number, h: number, yaw: number): boolean => {
      const cs = Math.cos(yaw);
      const sn = Math.sin(yaw);
      const loc = (q: Vec3): Vec3 => [cs * (q[0] - c[0]) + sn * (q[1] - c[1]), -sn * (q[0] - c[0]) + cs * (q[1] - c[1]), q[2] - c[2]];
      const a = loc(o);
      const b = loc(p);
      let t0 = 0;
      let t1 = 1;
      const half = [l / 2, w / 2, h / 2];
      for (let k = 0; k < 3; k++) {
        const d = (b[k] ?? 0) - (a[k] ?? 0);
        const hk = half[k] ?? 0;
        const ak = a[k] ?? 0;
        if (Math.abs(d) < 1e-12) {
          if (ak < -hk || ak > hk) return false;
          continue;
        }
        let u = (-hk - ak) / d;
        let v = (hk - ak) / d;
        if (u > v) [u, v] = [v, u];
        t0 = Math.max(t0, u);
        t1 = Math.min(t1, v);
        if (t0 > t1) return false;
      }
      return true;
    };
    let checks = 0;
    let violations = 0;
    for (const { sweep, truth } of sweeps) {
      if (!egoFromLidar) throw new Error('no lidar');
      const e = truth.ego;
      const origin = transformPoint({ rotation: rotationFromYawPitchRoll(e.yawRad, e.pitchRad, e.rollRad), translation: e.positionM }, egoFromLidar.translation);
      const pts = worldPoints(sweep, truth);
      const cars = truth.objects.map((o, j) => ({ o, j })).filter(({ o }) => o.objectClass === 'car');
      for (let i = 0; i < sweep.pointCount; i++) {
        const label = sweep.labels[i] ?? -1;
        if (label < 0) continue;
        const p: Vec3 = [pts[i * 3] ?? 0, pts[i * 3 + 1] ?? 0, pts[i * 3 + 2] ?? 0];
        for (const { o, j } of cars) {
          if (j === label) continue;
          const b = o.box;
          const bottom = b.centerM[2] - b.heightM / 2;
          const core: Vec3 = [b.centerM[0], b.centerM[1], bottom + 0.05 + 0.2 * b.heightM];
          checks++;
          if (segmentHitsBox(origin, p, core, b.lengthM - 0.05, b.widthM - 0.05, 0.4 * b.heightM, b.yawRad)) violations++;
        }
      }
    }
    expect(checks).toBeGreaterThan(1000);
    expect(violations).toBe(0);
  });
});
