import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCLE_DRIVE, simulateCircleDrive, type TruthPoint } from './circleDrive.js';
import { chiSquareQuantile } from './chiSquare.js';
import { MotionEstimator } from './motionEstimator.js';

const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));

interface Step {
  readonly t: number;
  readonly posErr: [number, number, number];
  readonly velErr: number;
  readonly yawErr: number;
  readonly posCov: Float64Array;
  readonly mode: string;
  readonly flags: readonly string[];
}

/** Runs the estimator over a drive and evaluates it against the truth at every GNSS-rate tick. */
function run(seed: number, outage?: { fromS: number; toS: number }): Step[] {
  const { samples, truth } = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, seed, ...(outage ? { gnssOutage: outage } : {}) });
  const byTime = new Map<number, TruthPoint>(truth.map((p) => [p.timeUs, p]));
  const est = new MotionEstimator();
  const steps: Step[] = [];
  let k = 0;
  for (const s of samples) {
    est.update(s);
    if (s.kind !== 'imu' || k++ % 10 !== 0) continue;
    const tr = byTime.get(s.captureTimeUs);
    const st = est.state();
    if (tr === undefined || st.mode !== 'ins') continue;
    const c = st.covariance;
    // The ENU frame is anchored at the first (noisy) fix: express the truth in that frame.
    const off = anchorOffset(st.origin ?? { latDeg: DEFAULT_CIRCLE_DRIVE.originLatDeg, lonDeg: DEFAULT_CIRCLE_DRIVE.originLonDeg, heightM: DEFAULT_CIRCLE_DRIVE.originHeightM });
    steps.push({
      t: (s.captureTimeUs - DEFAULT_CIRCLE_DRIVE.startUs) / 1e6,
      posErr: [st.positionEnuM[0] - (tr.position[0] - off[0]), st.positionEnuM[1] - (tr.position[1] - off[1]), st.positionEnuM[2] - (tr.position[2] - off[2])],
      velErr: Math.hypot(st.velocityEnuMS[0] - tr.velocity[0], st.velocityEnuMS[1] - tr.velocity[1], st.velocityEnuMS[2] - tr.velocity[2]),
      yawErr: wrap(st.yawRad - tr.yawRad),
      posCov: Float64Array.of(c[0] ?? 0, c[1] ?? 0, c[2] ?? 0, c[15] ?? 0, c[16] ?? 0, c[17] ?? 0, c[30] ?? 0, c[31] ?? 0, c[32] ?? 0),
      mode: st.mode,
      flags: st.flags,
    });
  }
  return steps;
}

/** ENU offset of the estimator's anchor from the simulation origin (local radii of curvature, by hand). */
function anchorOffset(origin: { latDeg: number; lonDeg: number; heightM: number }): [number, number, number] {
  const a = 6_378_137;
  const f = 1 / 298.257223563;
  const e2 = f * (2 - f);
  const lat0 = (DEFAULT_CIRCLE_DRIVE.originLatDeg * Math.PI) / 180;
  const w = Math.sqrt(1 - e2 * Math.sin(lat0) ** 2);
  const m = (a * (1 - e2)) / w ** 3 + DEFAULT_CIRCLE_DRIVE.originHeightM;
  const n = a / w + DEFAULT_CIRCLE_DRIVE.originHeightM;
  const rad = Math.PI / 180;
  return [
    (origin.lonDeg - DEFAULT_CIRCLE_DRIVE.originLonDeg) * rad * n * Math.cos(lat0),
    (origin.latDeg - DEFAULT_CIRCLE_DRIVE.originLatDeg) * rad * m,
    origin.heightM - DEFAULT_CIRCLE_DRIVE.originHeightM,
  ];
}

/** eᵀ P⁻¹ e for a 3×3 SPD P (cofactor inverse written out). */
function nees3(e: readonly number[], p: Float64Array): number {
  const [a = 0, b = 0, c = 0, d = 0, ee = 0, f = 0, g = 0, h = 0, i = 0] = p;
  const det = a * (ee * i - f * h) - b * (d * i - f * g) + c * (d * h - ee * g);
  const inv = [ee * i - f * h, c * h - b * i, b * f - c * ee, f * g - d * i, a * i - c * g, c * d - a * f, d * h - ee * g, b * g - a * h, a * ee - b * d].map((x) => x / det);
  let s = 0;
  for (let r = 0; r < 3; r++) for (let col = 0; col < 3; col++) s += (e[r] ?? 0) * (inv[r * 3 + col] ?? 0) * (e[col] ?? 0);
  return s;
}

const rms = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);

describe('INS on a simulated circle drive (IMU 100 Hz, GNSS 10 Hz, magnetometer 10 Hz)', () => {
  it('tracks position, velocity and yaw with GNSS', () => {
    const steps = run(1).filter((s) => s.t >= 10);
    const pos = rms(steps.map((s) => Math.hypot(...s.posErr)));
    const vel = rms(steps.map((s) => s.velErr));
    const yaw = rms(steps.map((s) => s.yawErr)) * (180 / Math.PI);
    console.info(`circle drive with GNSS (σ 1 m): position RMSE ${pos.toFixed(3)} m, velocity RMSE ${vel.toFixed(3)} m/s, yaw RMSE ${yaw.toFixed(3)}°`);
    // GNSS alone is 1 m per horizontal axis (√2 m horizontal, 2 m vertical): the filter must beat it.
    expect(pos).toBeLessThan(0.5);
    expect(vel).toBeLessThan(0.2);
    expect(yaw).toBeLessThan(1.5);
    expect(steps.every((s) => !s.flags.includes('gnss-timeout'))).toBe(true);
  });

  it('grows error and covariance consistently through a 20 s GNSS outage and re-converges after it', () => {
    const outage = { fromS: 40, toS: 60 };
    const runs = [11, 12, 13, 14, 15, 16, 17, 18].map((seed) => run(seed, outage));
    const n = runs.length;
    // Monte-Carlo averaged NEES (Bar-Shalom): n·NEES̄ ~ χ²(3n) when the filter is consistent.
    const lo = chiSquareQuantile(0.025, 3 * n) / n;
    const hi = chiSquareQuantile(0.975, 3 * n) / n;
    const first = runs[0] ?? [];
    let inside = 0;
    let total = 0;
    for (let idx = 0; idx < first.length; idx++) {
      const t = first[idx]?.t ?? 0;
      if (t < outage.fromS || t >= outage.toS) continue;
      const mean = runs.reduce((acc, r) => acc + nees3(r[idx]?.posErr ?? [], r[idx]?.posCov ?? new Float64Array(9)), 0) / n;
      total++;
      if (mean >= lo && mean <= hi) inside++;
    }
    const at = (r: Step[], t: number): Step | undefined => r.find((s) => Math.abs(s.t - t) < 0.051);
    const errStart = rms(runs.map((r) => Math.hypot(...(at(r, outage.fromS)?.posErr ?? [0, 0, 0]))));
    const errEnd = rms(runs.map((r) => Math.hypot(...(at(r, outage.toS - 0.1)?.posErr ?? [0, 0, 0]))));
    const sdStart = Math.sqrt(at(first, outage.fromS)?.posCov[0] ?? 0);
    const sdEnd = Math.sqrt(at(first, outage.toS - 0.1)?.posCov[0] ?? 0);
    const after = runs.flatMap((r) => r.filter((s) => s.t >= outage.toS + 5).map((s) => Math.hypot(...s.posErr)));
    const endYaw = rms(runs.map((r) => at(r, outage.toS - 0.1)?.yawErr ?? 0)) * (180 / Math.PI);
    const outageFlagged = first.filter((s) => s.t > outage.fromS + 1.5 && s.t < outage.toS).every((s) => s.flags.includes('gnss-timeout'));
    console.info(
      `20 s GNSS outage, ${n} runs: position error ${errStart.toFixed(2)} m → ${errEnd.toFixed(2)} m, east σ ${sdStart.toFixed(2)} m → ${sdEnd.toFixed(2)} m, ` +
        `yaw RMSE at end ${endYaw.toFixed(2)}°, averaged NEES inside [${lo.toFixed(2)}, ${hi.toFixed(2)}] on ${inside}/${total} steps, ` +
        `position RMSE 5 s after GNSS returns ${rms(after).toFixed(2)} m`,
    );
    expect(outageFlagged).toBe(true);
    expect(errEnd).toBeGreaterThan(2 * errStart);
    expect(sdEnd).toBeGreaterThan(3 * sdStart);
    expect(inside / total).toBeGreaterThan(0.8);
    expect(rms(after)).toBeLessThan(1.5);
  });
});

describe('INS covariance propagation decimation (1 kHz IMU)', () => {
  it('propagating the covariance every 5 ms matches propagating it every sample', () => {
    const { samples } = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, durationS: 30, imuRateHz: 1000, gnssOutage: { fromS: 20, toS: 30 } });
    const everySample = new MotionEstimator({ covariancePeriodUs: 0 });
    const decimated = new MotionEstimator({ covariancePeriodUs: 5_000 });
    for (const s of samples) {
      everySample.update(s);
      decimated.update(s);
    }
    const a = everySample.state();
    const b = decimated.state();
    // After a 10 s outage both the state and its uncertainty must agree closely.
    expect(Math.hypot(a.positionEnuM[0] - b.positionEnuM[0], a.positionEnuM[1] - b.positionEnuM[1])).toBeLessThan(0.05);
    for (const i of [0, 16, 32, 48, 64, 80, 96, 112, 128]) {
      const va = a.covariance[i] ?? 0;
      const vb = b.covariance[i] ?? 0;
      expect(Math.abs(va - vb) / va).toBeLessThan(0.02);
    }
  });
});
