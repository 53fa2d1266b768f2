import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from './geometry.js';
import { multiplyMat3, rotateVec, rotationFromYawPitchRoll } from './geometry.js';
import type { ImuRecord, TruthRecord } from './records.js';
import { presetScenario } from './presets.js';
import { resolveScenario } from './scenario.js';
import { CoreSimulation } from './simulation-core.js';

/** Rodrigues: rotation of angle |w| about w. */
function expMap(w: Vec3): Mat3 {
  const th = Math.hypot(w[0], w[1], w[2]);
  if (th < 1e-12) return [1, -w[2], w[1], w[2], 1, -w[0], -w[1], w[0], 1];
  const [x, y, z] = [w[0] / th, w[1] / th, w[2] / th];
  const c = Math.cos(th);
  const s = Math.sin(th);
  const C = 1 - c;
  return [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
}

/**
 * Strapdown integration written in the test: attitude by the gyro, velocity and position by the
 * accelerometer's specific force rotated to the world plus gravity (0, 0, -9.80665).
 */
function integrate(samples: readonly ImuRecord[], start: TruthRecord): Vec3 {
  let R = rotationFromYawPitchRoll(start.ego.yawRad, start.ego.pitchRad, start.ego.rollRad);
  let v: Vec3 = start.ego.velocityMps;
  let p: Vec3 = start.ego.positionM;
  for (let i = 0; i + 1 < samples.length; i++) {
    const a = samples[i];
    const b = samples[i + 1];
    if (!a || !b) continue;
    const dt = (b.trueCaptureTimeUs - a.trueCaptureTimeUs) / 1e6;
    const fa = rotateVec(R, a.linearAcceleration);
    const wMid: Vec3 = [(a.angularVelocity[0] + b.angularVelocity[0]) / 2, (a.angularVelocity[1] + b.angularVelocity[1]) / 2, (a.angularVelocity[2] + b.angularVelocity[2]) / 2];
    const Rn = multiplyMat3(R, expMap([wMid[0] * dt, wMid[1] * dt, wMid[2] * dt]));
    const fb = rotateVec(Rn, b.linearAcceleration);
    const acc: Vec3 = [(fa[0] + fb[0]) / 2, (fa[1] + fb[1]) / 2, (fa[2] + fb[2]) / 2 - 9.80665];
    p = [p[0] + v[0] * dt + 0.5 * acc[0] * dt * dt, p[1] + v[1] * dt + 0.5 * acc[1] * dt * dt, p[2] + v[2] * dt + 0.5 * acc[2] * dt * dt];
    v = [v[0] + acc[0] * dt, v[1] + acc[1] * dt, v[2] + acc[2] * dt];
    R = Rn;
  }
  return p;
}

function run(scenario: ReturnType<typeof resolveScenario>, seconds: number): { imu: ImuRecord[]; truths: TruthRecord[] } {
  // Start and end states come from the world model; the IMU samples are what is under test.
  const core = new CoreSimulation({ ...scenario, durationS: seconds }, { seed: 21, sensors: ['imu', 'gnss'] });
  const imu: ImuRecord[] = [];
  for (const r of core.records()) if (r.kind === 'imu') imu.push(r);
  const truths: TruthRecord[] = [];
  for (const t of [0, seconds - 0.1]) {
    const k = core.world.egoKinematics(t);
    truths.push({
      kind: 'truth', rigId: '', sensorId: 'truth', seq: 0, frameId: 'map', forSensorId: '', forSeq: 0, objects: [], sounds: [], devices: [],
      captureTimeUs: 0, publishTimeUs: 0, trueCaptureTimeUs: core.startTimeUs + Math.round(t * 1e6),
      ego: { positionM: k.pose.position, yawRad: k.pose.yaw, pitchRad: k.pose.pitch, rollRad: k.pose.roll, velocityMps: k.velocityWorld, speedMps: k.speedMps },
    });
  }
  return { imu, truths };
}

describe('IMU consistent with the ego trajectory', () => {
  const base = presetScenario('urban-day');
  const seconds = 16; // through a stop (12 s), the first curve and the speed bump

  it('integrates back to the trajectory within centimetres when noise and bias are off', () => {
    const sc = resolveScenario({
      sensors: { imu: { accelNoiseSigma: 0, gyroNoiseSigma: 0, accelBiasSigma: 0, gyroBiasSigma: 0, accelBiasWalk: 0, gyroBiasWalk: 0 } },
    });
    const { imu, truths } = run(sc, seconds);
    const [start, end] = truths;
    if (!start || !end) throw new Error('no truth');
    const last = imu.findIndex((r) => r.trueCaptureTimeUs >= end.trueCaptureTimeUs);
    const p = integrate(imu.slice(0, last + 1), start);
    const err = Math.hypot(p[0] - end.ego.positionM[0], p[1] - end.ego.positionM[1], p[2] - end.ego.positionM[2]);
    const travelled = Math.hypot(end.ego.positionM[0] - start.ego.positionM[0], end.ego.positionM[1] - start.ego.positionM[1]);
    console.log(`noise-free IMU dead reckoning: ${err.toFixed(3)} m error after ${travelled.toFixed(0)} m / ${seconds} s`);
    expect(travelled).toBeGreaterThan(60);
    expect(err).toBeLessThan(0.1);
  });

  it('with the configured noise, stays inside the error a bias of 3 sigma explains (0.5·ba·t² + g·bg·t³/6)', () => {
    const { imu, truths } = run(base, seconds);
    const [start, end] = truths;
    if (!start || !end) throw new Error('no truth');
    const last = imu.findIndex((r) => r.trueCaptureTimeUs >= end.trueCaptureTimeUs);
    const p = integrate(imu.slice(0, last + 1), start);
    const err = Math.hypot(p[0] - end.ego.positionM[0], p[1] - end.ego.positionM[1]);
    const c = base.sensors.imu;
    const t = seconds - 0.1;
    const ba = 3 * (c.accelBiasSigma + c.accelBiasWalk * Math.sqrt(t));
    const bg = 3 * (c.gyroBiasSigma + c.gyroBiasWalk * Math.sqrt(t));
    const bound = 0.5 * ba * t * t + (9.80665 * bg * t * t * t) / 6 + 0.1;
    console.log(`noisy IMU dead reckoning: ${err.toFixed(2)} m error, bound ${bound.toFixed(2)} m`);
    expect(err).toBeLessThan(bound);
    expect(err).toBeGreaterThan(0.01); // the noise is really there
  });

  it('reads +g on z at standstill on level ground, as a real accelerometer does', () => {
    const sc = resolveScenario({
      route: { stops: [{ atS: 0, durationS: 100 }] },
      ground: { slopeX: 0, slopeY: 0 },
      sensors: { imu: { accelNoiseSigma: 0, gyroNoiseSigma: 0, accelBiasSigma: 0, gyroBiasSigma: 0, accelBiasWalk: 0, gyroBiasWalk: 0 } },
    });
    const { imu } = run(sc, 1);
    for (const r of imu) {
      expect(r.linearAcceleration[0]).toBeCloseTo(0, 6);
      expect(r.linearAcceleration[1]).toBeCloseTo(0, 6);
      expect(r.linearAcceleration[2]).toBeCloseTo(9.80665, 6);
      expect(Math.hypot(...r.angularVelocity)).toBeLessThan(1e-9);
    }
    expect(imu).toHaveLength(200);
  });
});

describe('GNSS fixes', () => {
  it('lie around the true ego position by the configured noise (haversine distance, written in the test)', () => {
    const sc = presetScenario('urban-day');
    const core = new CoreSimulation({ ...sc, durationS: 20, sounds: { events: [], randomEventsPerMinute: 0 } }, { seed: 4, sensors: ['gnss'] });
    const R = 6_371_008.8;
    const rad = Math.PI / 180;
    const errs: number[] = [];
    for (const r of core.records()) {
      if (r.kind !== 'gnss' || r.fixType === 'multipath') continue;
      const k = core.world.egoKinematics((r.trueCaptureTimeUs - core.startTimeUs) / 1e6);
      // Distance from the origin to the fix on a sphere vs the true planar distance from the origin.
      const dLat = (r.latitudeDeg - sc.origin.latitudeDeg) * rad;
      const dLon = (r.longitudeDeg - sc.origin.longitudeDeg) * rad;
      const a = Math.sin(dLat / 2) ** 2 + Math.cos(sc.origin.latitudeDeg * rad) * Math.cos(r.latitudeDeg * rad) * Math.sin(dLon / 2) ** 2;
      const d = 2 * R * Math.asin(Math.sqrt(a));
      errs.push(d - Math.hypot(k.pose.position[0], k.pose.position[1]));
    }
    expect(errs.length).toBeGreaterThan(180);
    const rms = Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length);
    // Radial error of a 2D Gaussian with sigma 0.5 m projected on one direction: RMS ≈ 0.5 m (+ sphere vs ellipsoid < 0.5 %).
    expect(rms).toBeGreaterThan(0.3);
    expect(rms).toBeLessThan(0.8);
  });
});

describe('magnetometer', () => {
  it('gives a tilt-compensated heading equal to the true yaw within its noise (declination 12°, dip 65°, through curves and the bump)', () => {
    const mag = { rateHz: 50, fieldStrengthUT: 48, declinationDeg: 12, inclinationDeg: 65, noiseSigmaUT: 0.3, hardIronSigmaUT: 2 };
    const sc = resolveScenario({ sensors: { imu: { magnetometer: mag } } });
    const seconds = 20;
    const core = new CoreSimulation({ ...sc, durationS: seconds }, { seed: 5, sensors: ['imu'] });
    const hardIron = core.imu.hardIronBiasT();
    const dec = (12 * Math.PI) / 180;
    let imuCount = 0;
    const errs: number[] = [];
    let maxTilt = 0;
    for (const r of core.records()) {
      if (r.kind !== 'imu') continue;
      imuCount++;
      if (!r.magneticFieldT) continue;
      const pose = core.world.egoKinematics((r.trueCaptureTimeUs - core.startTimeUs) / 1e6).pose;
      // A calibrated rig removes the hard-iron offset first.
      const [mx, my, mz] = [r.magneticFieldT[0] - hardIron[0], r.magneticFieldT[1] - hardIron[1], r.magneticFieldT[2] - hardIron[2]];
      expect(Math.hypot(mx, my, mz) * 1e6).toBeGreaterThan(46);
      expect(Math.hypot(mx, my, mz) * 1e6).toBeLessThan(50);
      // Classic tilt compensation (roll about x, then pitch about y, as the ZYX Euler angles of the pose).
      const cr = Math.cos(pose.roll), sr = Math.sin(pose.roll), cp = Math.cos(pose.pitch), sp = Math.sin(pose.pitch);
      const xh = mx * cp + (my * sr + mz * cr) * sp;
      const yh = my * cr - mz * sr;
      // Horizontal field points to magnetic north, i.e. at ENU angle 90° − declination; in the yaw-only frame it sits at that angle − yaw.
      const yaw = Math.PI / 2 - dec - Math.atan2(yh, xh);
      errs.push(Math.atan2(Math.sin(yaw - pose.yaw), Math.cos(yaw - pose.yaw)));
      maxTilt = Math.max(maxTilt, Math.abs(pose.pitch), Math.abs(pose.roll));
    }
    expect(errs.length).toBe(imuCount / 4); // 200 Hz IMU, 50 Hz magnetometer
    // Per-sample heading noise ≈ σ / horizontal field = 0.3 / (48·cos 65°) rad ≈ 0.85°.
    const sigma = 0.3 / (48 * Math.cos((65 * Math.PI) / 180));
    const rms = Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length);
    const mean = errs.reduce((s, e) => s + e, 0) / errs.length;
    console.log(`magnetometer heading: rms ${((rms * 180) / Math.PI).toFixed(2)}°, mean ${((mean * 180) / Math.PI).toFixed(3)}°, expected σ ${((sigma * 180) / Math.PI).toFixed(2)}°, max |pitch|,|roll| ${((maxTilt * 180) / Math.PI).toFixed(2)}°`);
    expect(maxTilt).toBeGreaterThan(0.005); // the tilt compensation really mattered
    expect(rms).toBeLessThan(1.3 * sigma);
    expect(rms).toBeGreaterThan(0.7 * sigma);
    expect(Math.abs(mean)).toBeLessThan((4 * sigma) / Math.sqrt(errs.length));
    for (const e of errs) expect(Math.abs(e)).toBeLessThan(5 * sigma);
  });

  it('is absent when its rate is 0', () => {
    const sc = resolveScenario({ sensors: { imu: { magnetometer: { rateHz: 0 } } } });
    const core = new CoreSimulation({ ...sc, durationS: 1 }, { seed: 5, sensors: ['imu'] });
    for (const r of core.records()) if (r.kind === 'imu') expect(r.magneticFieldT).toBeUndefined();
  });
});
