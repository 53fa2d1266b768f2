import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCLE_DRIVE, simulateCircleDrive, type TruthPoint } from './circleDrive.js';
import { MotionEstimator } from './motionEstimator.js';
import type { MotionSample } from './types.js';

const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));
const rms = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);

/** ENU offset of the estimator's anchor from the drive's origin (local radii of curvature, by hand). */
function anchorOffset(origin: { latDeg: number; lonDeg: number; heightM: number }): [number, number] {
  const a = 6_378_137;
  const f = 1 / 298.257223563;
  const e2 = f * (2 - f);
  const lat0 = (DEFAULT_CIRCLE_DRIVE.originLatDeg * Math.PI) / 180;
  const w = Math.sqrt(1 - e2 * Math.sin(lat0) ** 2);
  const m = (a * (1 - e2)) / w ** 3 + DEFAULT_CIRCLE_DRIVE.originHeightM;
  const n = a / w + DEFAULT_CIRCLE_DRIVE.originHeightM;
  const rad = Math.PI / 180;
  return [(origin.lonDeg - DEFAULT_CIRCLE_DRIVE.originLonDeg) * rad * n * Math.cos(lat0), (origin.latDeg - DEFAULT_CIRCLE_DRIVE.originLatDeg) * rad * m];
}

/** A rig with IMU and position-only GNSS (as a NavSatFix carries it): no magnetometer, no GNSS velocity. */
function withoutHeadingSources(samples: readonly MotionSample[]): MotionSample[] {
  const out: MotionSample[] = [];
  for (const s of samples) {
    if (s.kind === 'mag') continue;
    if (s.kind === 'gnss') {
      out.push({ kind: 'gnss', captureTimeUs: s.captureTimeUs, latDeg: s.latDeg, lonDeg: s.lonDeg, heightM: s.heightM, horizontalStdM: s.horizontalStdM, verticalStdM: s.verticalStdM });
    } else out.push(s);
  }
  return out;
}

describe('heading from the GNSS course over ground (no magnetometer, position-only GNSS)', () => {
  for (const seed of [1, 2, 3]) {
    it(`reaches full navigation on the circle drive and tracks yaw and position (seed ${seed})`, () => {
      // Circle of 50 m at 10 m/s (0.2 rad/s: the chord is far from the tangent), GNSS σ 1 m.
      const { samples, truth } = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, seed, durationS: 40 });
      const byTime = new Map<number, TruthPoint>(truth.map((p) => [p.timeUs, p]));
      const est = new MotionEstimator();
      let insFromS: number | undefined;
      const yawErr: number[] = [];
      const posErr: number[] = [];
      let k = 0;
      for (const s of withoutHeadingSources(samples)) {
        est.update(s);
        if (s.kind !== 'imu' || k++ % 10 !== 0) continue;
        const st = est.state();
        const tS = (s.captureTimeUs - DEFAULT_CIRCLE_DRIVE.startUs) / 1e6;
        if (st.mode !== 'ins') continue;
        insFromS ??= tS;
        const tr = byTime.get(s.captureTimeUs);
        if (tr === undefined || tS < insFromS + 15) continue;
        const off = anchorOffset(st.origin ?? { latDeg: DEFAULT_CIRCLE_DRIVE.originLatDeg, lonDeg: DEFAULT_CIRCLE_DRIVE.originLonDeg, heightM: DEFAULT_CIRCLE_DRIVE.originHeightM });
        yawErr.push(wrap(st.yawRad - tr.yawRad));
        posErr.push(Math.hypot(st.positionEnuM[0] - (tr.position[0] - off[0]), st.positionEnuM[1] - (tr.position[1] - off[1])));
      }
      const yaw = rms(yawErr) * (180 / Math.PI);
      const pos = rms(posErr);
      console.info(`course-over-ground heading, seed ${seed}: INS from ${String(insFromS?.toFixed(1))} s, then yaw RMSE ${yaw.toFixed(2)}°, horizontal position RMSE ${pos.toFixed(2)} m`);
      // At rest 2 s, then 2 m/s² to 10 m/s: 2 m/s after 3 s; σ 1 m needs ≥ 14 m of baseline for 0.1 rad.
      expect(insFromS).toBeDefined();
      expect(insFromS ?? Infinity).toBeLessThan(10);
      expect(yawErr.length).toBeGreaterThan(150);
      // Each course reading is worth ≤ 0.1 rad (5.7°); yaw was unknown (attitude filter at 0 rad vs 90° true) before.
      expect(yaw).toBeLessThan(4);
      expect(Math.abs(yawErr[yawErr.length - 1] ?? Infinity)).toBeLessThan((6 * Math.PI) / 180);
      // GNSS alone: 1 m per axis (√2 m horizontal).
      expect(pos).toBeLessThan(1);
    });
  }

  it('stays in attitude mode while the vehicle stands still (no course to read)', () => {
    const { samples } = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, durationS: 1.9 }); // at rest for the first 2 s
    const est = new MotionEstimator();
    for (const s of withoutHeadingSources(samples)) est.update(s);
    expect(est.state().mode).toBe('attitude');
    expect(est.state().flags).toContain('heading-unknown');
  });
});
