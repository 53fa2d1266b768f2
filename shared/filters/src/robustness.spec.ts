import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCLE_DRIVE, simulateCircleDrive } from './circleDrive.js';
import { InvalidSampleValueError, InvalidTimestampError, MotionSampleRejectedError } from './errors.js';
import { MotionEstimator } from './motionEstimator.js';
import type { EgoState, GnssSample, MotionSample } from './types.js';
import { PoisonRecordError } from '@sensorfuse/errors';

const drive = (seconds: number): MotionSample[] =>
  simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, durationS: seconds }).samples;

function finite(state: EgoState): boolean {
  const nums = [
    ...state.positionEnuM, ...state.velocityEnuMS, ...state.orientation, state.rollRad, state.pitchRad, state.yawRad,
    ...state.angularVelocityBodyRadS, ...state.accelBiasMS2, ...state.gyroBiasRadS, ...state.covariance,
  ];
  return nums.every(Number.isFinite);
}

/** Cholesky succeeds ⇔ symmetric matrix is positive definite (written here independently of linalg.ts). */
function isSpd(p: Float64Array, n: number): boolean {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) if (Math.abs((p[i * n + j] ?? 0) - (p[j * n + i] ?? 0)) > 1e-9 * Math.max(1, Math.abs(p[i * n + i] ?? 0))) return false;
    let d = p[j * n + j] ?? 0;
    for (let k = 0; k < j; k++) d -= (l[j * n + k] ?? 0) ** 2;
    if (!(d > 0)) return false;
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = p[i * n + j] ?? 0;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] ?? 0) * (l[j * n + k] ?? 0);
      l[i * n + j] = s / (l[j * n + j] ?? 1);
    }
  }
  return true;
}

describe('MotionEstimator robustness', () => {
  it('rejects a burst of GNSS fixes jumped by 50 m and counts them, keeping the position', () => {
    const samples = drive(30);
    const est = new MotionEstimator();
    let jumped = 0;
    let worstDuringJump = 0;
    let before: EgoState | undefined;
    for (const s of samples) {
      const t = (s.captureTimeUs - DEFAULT_CIRCLE_DRIVE.startUs) / 1e6;
      if (s.kind === 'gnss' && t >= 20 && t < 20.5) {
        before ??= est.state();
        // Multipath: 50 m east for five consecutive fixes.
        const m = 50 / (6_378_137 * Math.cos((s.latDeg * Math.PI) / 180)) * (180 / Math.PI);
        est.update({ ...s, lonDeg: s.lonDeg + m } satisfies GnssSample);
        jumped++;
        continue;
      }
      est.update(s);
      if (before !== undefined && t < 21) {
        const st = est.state();
        // 0.5 s of dead reckoning at 10 m/s: compare with where the car would be without the jump.
        worstDuringJump = Math.max(worstDuringJump, Math.abs(st.positionEnuM[0] - before.positionEnuM[0] - st.velocityEnuMS[0] * ((st.captureTimeUs - before.captureTimeUs) / 1e6)));
      }
    }
    const stats = est.stats();
    expect(jumped).toBe(5);
    expect(stats.gnssRejected).toBe(5);
    expect(stats.gnssResets).toBe(0);
    expect(worstDuringJump).toBeLessThan(5);
  });

  it('survives an IMU silent for 2 s: flags the gap, grows covariance, then re-converges', () => {
    const samples = drive(40);
    const est = new MotionEstimator();
    let sdBefore = 0;
    let sdGap = 0;
    const flags = new Set<string>();
    const afterErrors: number[] = [];
    const { truth } = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, durationS: 40 });
    const truthAt = new Map(truth.map((p) => [p.timeUs, p]));
    let origin: EgoState['origin'];
    for (const s of samples) {
      const t = (s.captureTimeUs - DEFAULT_CIRCLE_DRIVE.startUs) / 1e6;
      if (s.kind === 'imu' && t >= 20 && t < 22) continue;
      const out = est.update(s);
      if (out !== undefined) {
        expect(finite(out)).toBe(true);
        if (t > 19.5 && t < 20) sdBefore = Math.sqrt(out.covariance[3 * 15 + 3] ?? 0);
        if (t > 21.5 && t < 22) sdGap = Math.max(sdGap, Math.sqrt(out.covariance[3 * 15 + 3] ?? 0));
        if (t > 21.5 && t < 22.5) for (const f of out.flags) flags.add(f);
        origin ??= out.origin;
      }
      const tr = s.kind === 'imu' && t > 30 ? truthAt.get(s.captureTimeUs) : undefined;
      if (tr !== undefined) {
        const st = est.state();
        afterErrors.push(Math.hypot(st.velocityEnuMS[0] - tr.velocity[0], st.velocityEnuMS[1] - tr.velocity[1]));
      }
    }
    expect(flags.has('imu-timeout')).toBe(true);
    expect(flags.has('imu-gap')).toBe(true);
    expect(est.stats().imuGaps).toBe(1);
    expect(sdGap).toBeGreaterThan(3 * sdBefore);
    const velRms = Math.sqrt(afterErrors.reduce((a, e) => a + e * e, 0) / afterErrors.length);
    expect(velRms).toBeLessThan(0.3);
  });

  it('bridges a short IMU gap by interpolation and flags it', () => {
    const samples = drive(12);
    const est = new MotionEstimator();
    const seen = new Set<string>();
    for (const s of samples) {
      const t = (s.captureTimeUs - DEFAULT_CIRCLE_DRIVE.startUs) / 1e6;
      if (s.kind === 'imu' && t > 10 && t < 10.035) continue; // three 10 ms samples missing
      const out = est.update(s);
      for (const f of out?.flags ?? []) seen.add(f);
    }
    expect(est.stats().imuInterpolatedSteps).toBe(3);
    expect(seen.has('imu-interpolated')).toBe(true);
    expect(est.stats().imuGaps).toBe(0);
  });

  it('rejects timestamps of 0, negative, fractional and far in the future with a reason', () => {
    const est = new MotionEstimator();
    const t0 = DEFAULT_CIRCLE_DRIVE.startUs;
    est.update({ kind: 'imu', captureTimeUs: t0, gyroRadS: [0, 0, 0], accelMS2: [0, 0, 9.81] });
    const reasonOf = (captureTimeUs: number): string => {
      try {
        est.update({ kind: 'imu', captureTimeUs, gyroRadS: [0, 0, 0], accelMS2: [0, 0, 9.81] });
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidTimestampError);
        expect(error).toBeInstanceOf(PoisonRecordError);
        expect((error as InvalidTimestampError).retriable).toBe(false);
        return (error as InvalidTimestampError).reason;
      }
    };
    expect(reasonOf(0)).toBe('zero-or-negative');
    expect(reasonOf(-5)).toBe('zero-or-negative');
    expect(reasonOf(t0 + 0.5)).toBe('not-integer');
    expect(reasonOf(4_200_000_000_000_000)).toBe('implausible');
    expect(reasonOf(t0 + 3_600_000_000)).toBe('future');
    expect(reasonOf(t0 + 10_000)).toBe('accepted');
    expect(est.stats().rejected).toBe(5);
    // With the receive time known, even the first sample of a fresh estimator is checked.
    const fresh = new MotionEstimator();
    expect(() => fresh.update({ kind: 'imu', captureTimeUs: t0 + 3_600_000_000, gyroRadS: [0, 0, 0], accelMS2: [0, 0, 9.81] }, t0)).toThrow(/after it was received/);
    expect(fresh.update({ kind: 'imu', captureTimeUs: t0 + 1_000, gyroRadS: [0, 0, 0], accelMS2: [0, 0, 9.81] }, t0)).toBeDefined();
  });

  it('imputes a NaN IMU field from the previous reading and rejects a NaN GNSS position', () => {
    const est = new MotionEstimator();
    const t0 = DEFAULT_CIRCLE_DRIVE.startUs;
    est.update({ kind: 'imu', captureTimeUs: t0, gyroRadS: [0, 0, 0], accelMS2: [0, 0, 9.81] });
    est.update({ kind: 'imu', captureTimeUs: t0 + 10_000, gyroRadS: [0, Number.NaN, 0], accelMS2: [0, 0, 9.81] });
    expect(est.stats().imputedFields).toBe(1);
    expect(() => est.update({ kind: 'gnss', captureTimeUs: t0 + 20_000, latDeg: Number.NaN, lonDeg: 11, heightM: 0, horizontalStdM: 1, verticalStdM: 1 })).toThrow(InvalidSampleValueError);
  });

  it('re-applies a late GNSS fix in time order within the lag and counts older ones as late', () => {
    const samples = drive(20);
    const inOrder = new MotionEstimator();
    for (const s of samples) inOrder.update(s);
    // Same stream, but every GNSS fix arrives 150 ms late (within the 200 ms lag).
    const delayed = new MotionEstimator();
    const queue: MotionSample[] = [];
    for (const s of samples) {
      if (s.kind === 'gnss') queue.push(s);
      else delayed.update(s);
      while (queue.length > 0 && (queue[0]?.captureTimeUs ?? 0) <= s.captureTimeUs - 150_000) {
        const g = queue.shift();
        if (g !== undefined) delayed.update(g);
      }
    }
    for (const g of queue) delayed.update(g);
    const a = inOrder.state();
    const b = delayed.state();
    expect(delayed.stats().replays).toBeGreaterThan(150);
    expect(delayed.stats().late).toBe(0);
    expect(Math.hypot(a.positionEnuM[0] - b.positionEnuM[0], a.positionEnuM[1] - b.positionEnuM[1])).toBeLessThan(1e-6);
    // A fix older than the lag is counted, not applied.
    const first = samples.find((s) => s.kind === 'gnss');
    if (first === undefined) throw new Error('no gnss');
    delayed.update(first);
    expect(delayed.lastOutcome).toBe('late');
    expect(delayed.stats().late).toBe(1);
  });

  it('answers the ego-motion query with the driven arc', () => {
    const est = new MotionEstimator();
    for (const s of drive(30)) est.update(s);
    const t1 = DEFAULT_CIRCLE_DRIVE.startUs + 25_000_000;
    const m = est.egoMotionBetween(t1, t1 + 1_000_000);
    if (m === undefined) throw new Error('no ego motion');
    // 10 m/s on a 50 m circle for 1 s: chord 2R·sin(0.1) ahead and to the left, yaw +0.2 rad.
    const chord = 2 * 50 * Math.sin(0.1);
    expect(m.yawChangeRad).toBeCloseTo(0.2, 1);
    expect(m.translationBodyM[0]).toBeCloseTo(chord * Math.cos(0.1), 0);
    expect(m.translationBodyM[1]).toBeCloseTo(chord * Math.sin(0.1), 0);
    expect(est.egoMotionBetween(t1 - 60_000_000, t1)).toBeUndefined();
  });

  it('never yields NaN or a non-SPD covariance for 10k random bad samples', () => {
    const est = new MotionEstimator();
    const good = drive(5);
    for (const s of good) est.update(s);
    const base = DEFAULT_CIRCLE_DRIVE.startUs + 5_000_000;
    const anyNum = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1e308, 0, 1e-320), fc.double({ min: -50, max: 50, noNaN: true }));
    const vec = fc.tuple(anyNum, anyNum, anyNum);
    const time = fc.oneof(fc.integer({ min: -1_000_000, max: 2_000_000 }).map((d) => base + d), fc.constantFrom(0, -1, 1.5, Number.NaN, 9e15));
    const sample = fc.oneof(
      fc.record({ kind: fc.constant('imu' as const), captureTimeUs: time, gyroRadS: vec, accelMS2: vec }),
      fc.record({ kind: fc.constant('mag' as const), captureTimeUs: time, fieldBody: vec }),
      fc.record({
        kind: fc.constant('gnss' as const), captureTimeUs: time, latDeg: anyNum, lonDeg: anyNum, heightM: anyNum,
        horizontalStdM: anyNum, verticalStdM: anyNum, velocityEnuMS: vec, velocityStdMS: anyNum,
      }),
    );
    const stream = fc.sample(sample, { seed: 42, numRuns: 10_000 });
    let outputs = 0;
    let rejected = 0;
    for (const s of stream) {
      try {
        const out = est.update(s);
        if (out !== undefined) {
          outputs++;
          expect(finite(out)).toBe(true);
        }
      } catch (error) {
        expect(error).toBeInstanceOf(MotionSampleRejectedError);
        rejected++;
      }
      const st = est.state();
      expect(finite(st)).toBe(true);
    }
    const st = est.state();
    expect(isSpd(st.covariance, 15)).toBe(true);
    console.info(`10k random samples: ${rejected} rejected, ${outputs} outputs, stats ${JSON.stringify(est.stats())}`);
    expect(rejected).toBeGreaterThan(1000);
  });
});
