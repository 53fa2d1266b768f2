import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageType, ULog } from '@foxglove/ulog';
import { FileReader } from '@foxglove/ulog/node.js';
import { describe, expect, it } from 'vitest';
import { MotionEstimator } from './motionEstimator.js';
import type { MotionSample } from './types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const logPath = path.resolve(repoRoot, '../shared/data/px4/sample_log_small.ulg');

interface Reference {
  readonly timeUs: number;
  /** PX4 vehicle_attitude.q: FRD body → NED, [w, x, y, z]. */
  readonly q: readonly number[];
}

/**
 * PX4 logs body rates/forces in FRD and attitude as FRD→NED. The estimator works in FLU / ENU:
 * FRD→FLU negates y and z; NED→ENU swaps x/y and negates z. Timestamps are µs since boot; the
 * GPS message's time_utc_usec − timestamp gives the offset to the Unix epoch.
 */
async function readLog(): Promise<{ samples: MotionSample[]; reference: Reference[]; declinationDeg: number }> {
  const ulog = new ULog(new FileReader(logPath));
  await ulog.open();
  // Site and calibration parameters stored in the log: magnetic declination and the magnetometer
  // bias PX4 learned (FRD, gauss). These are configuration, not PX4's attitude output.
  const param = (name: string): number => {
    const p = ulog.header?.parameters.get(name);
    return typeof p?.value === 'number' ? p.value : 0;
  };
  const declinationDeg = param('EKF2_MAG_DECL');
  const magBias = [param('EKF2_MAGBIAS_X'), param('EKF2_MAGBIAS_Y'), param('EKF2_MAGBIAS_Z')];
  const raw: { name: string; v: Record<string, unknown> }[] = [];
  let epochOffsetUs: number | undefined;
  for await (const msg of ulog.readMessages()) {
    if (msg.type !== MessageType.Data) continue;
    const name = ulog.subscriptions.get(msg.msgId)?.name ?? '';
    const v = msg.value as Record<string, unknown>;
    if (name === 'vehicle_gps_position' && epochOffsetUs === undefined) {
      epochOffsetUs = Number(v.time_utc_usec) - Number(v.timestamp);
    }
    if (name === 'sensor_combined' || name === 'vehicle_magnetometer' || name === 'vehicle_attitude') raw.push({ name, v });
  }
  if (epochOffsetUs === undefined) throw new Error('log has no vehicle_gps_position to anchor time');
  const samples: MotionSample[] = [];
  const reference: Reference[] = [];
  for (const { name, v } of raw) {
    const t = Number(v.timestamp) + epochOffsetUs;
    if (name === 'sensor_combined') {
      const g = v.gyro_rad as number[];
      const a = v.accelerometer_m_s2 as number[];
      samples.push({
        kind: 'imu',
        captureTimeUs: t,
        gyroRadS: [g[0] ?? 0, -(g[1] ?? 0), -(g[2] ?? 0)],
        accelMS2: [a[0] ?? 0, -(a[1] ?? 0), -(a[2] ?? 0)],
      });
    } else if (name === 'vehicle_magnetometer') {
      const m = v.magnetometer_ga as number[];
      const [bx = 0, by = 0, bz = 0] = magBias;
      samples.push({ kind: 'mag', captureTimeUs: t, fieldBody: [(m[0] ?? 0) - bx, -((m[1] ?? 0) - by), -((m[2] ?? 0) - bz)] });
    } else {
      reference.push({ timeUs: t, q: v.q as number[] });
    }
  }
  samples.sort((x, y) => x.captureTimeUs - y.captureTimeUs);
  return { samples, reference, declinationDeg };
}

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** FLU→ENU rotation matrix equivalent to PX4's FRD→NED quaternion. */
function px4ToEnuMatrix(q: readonly number[]): Mat3 {
  const [w = 1, x = 0, y = 0, z = 0] = q;
  const r = [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
  // R_enu_flu = T · R_ned_frd · S with T = [[0,1,0],[1,0,0],[0,0,-1]] (rows: E=N, N=E, U=−D), S = diag(1,−1,−1).
  const rowT = [1, 0, 2];
  const sgnT = [1, 1, -1];
  const sgnS = [1, -1, -1];
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 3 + j] = (sgnT[i] ?? 1) * (r[(rowT[i] ?? 0) * 3 + j] ?? 0) * (sgnS[j] ?? 1);
  return out as Mat3;
}

function mul(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += (a[i * 3 + k] ?? 0) * (b[k * 3 + j] ?? 0);
    out[i * 3 + j] = s;
  }
  return out as Mat3;
}

const transpose3 = (a: Mat3): Mat3 => [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
const rotX = (a: number): Mat3 => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
const rotY = (a: number): Mat3 => [Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)];
const apply = (m: Mat3, v: readonly [number, number, number]): [number, number, number] => [
  m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
  m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
  m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
];

/** Z-Y-X roll, pitch, yaw of a body→nav rotation matrix. */
function euler(m: Mat3): [number, number, number] {
  return [Math.atan2(m[7], m[8]), Math.asin(Math.max(-1, Math.min(1, -m[6]))), Math.atan2(m[3], m[0])];
}

const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));
const DEG = 180 / Math.PI;

interface Result {
  readonly rms: [number, number, number];
  readonly meanYawDeg: number;
  readonly levelRms: [number, number];
  readonly count: number;
  readonly magAccepted: number;
}

/**
 * Runs the log through the estimator with the IMU and magnetometer re-expressed in a sensor frame
 * rotated by `mount` (v_sensor = mount · v_body); the expected sensor attitude is then
 * R_ref · mountᵀ. Identity = the log as recorded.
 */
async function evaluate(mount: Mat3): Promise<Result> {
  const { samples, reference, declinationDeg } = await readLog();
  const est = new MotionEstimator({ magDeclinationRad: declinationDeg / DEG });
  const byTime = new Map(reference.map((r) => [r.timeUs, r]));
  const errors: [number, number, number][] = [];
  // A baseline that assumes level flight, to show the attitude is not trivially ~0.
  const levelErrors: [number, number][] = [];
  const firstUs = samples[0]?.captureTimeUs ?? 0;
  const mountT = transpose3(mount);
  for (const raw of samples) {
    const s: MotionSample =
      raw.kind === 'imu' ? { ...raw, gyroRadS: apply(mount, raw.gyroRadS), accelMS2: apply(mount, raw.accelMS2) }
      : raw.kind === 'mag' ? { ...raw, fieldBody: apply(mount, raw.fieldBody) }
      : raw;
    est.update(s);
    const ref = s.kind === 'imu' ? byTime.get(s.captureTimeUs) : undefined;
    if (ref === undefined || s.captureTimeUs - firstUs < 500_000) continue;
    const state = est.state();
    const [roll, pitch, yaw] = euler(mul(px4ToEnuMatrix(ref.q), mountT));
    errors.push([wrap(state.rollRad - roll), wrap(state.pitchRad - pitch), wrap(state.yawRad - yaw)]);
    levelErrors.push([roll, pitch]);
  }
  const rms = (k: 0 | 1 | 2): number => Math.sqrt(errors.reduce((acc, e) => acc + e[k] ** 2, 0) / errors.length) * DEG;
  const levelRms = (k: 0 | 1): number => Math.sqrt(levelErrors.reduce((acc, e) => acc + e[k] ** 2, 0) / levelErrors.length) * DEG;
  const meanYawDeg = (errors.reduce((acc, e) => acc + e[2], 0) / errors.length) * DEG;
  console.info(
    `PX4 log (declination ${declinationDeg.toFixed(2)}°): ${errors.length} attitude comparisons; roll RMS ${rms(0).toFixed(3)}°, ` +
      `pitch RMS ${rms(1).toFixed(3)}°, yaw RMS ${rms(2).toFixed(3)}° (mean ${meanYawDeg.toFixed(3)}°); ` +
      `level-attitude baseline roll RMS ${levelRms(0).toFixed(3)}°, pitch RMS ${levelRms(1).toFixed(3)}°`,
  );
  return { rms: [rms(0), rms(1), rms(2)], meanYawDeg, levelRms: [levelRms(0), levelRms(1)], count: errors.length, magAccepted: est.stats().magAccepted };
}

describe('attitude filter on a real PX4 flight log', () => {
  it('tracks roll and pitch within 2° RMS of PX4 vehicle_attitude and reports yaw error', async () => {
    if (!existsSync(logPath)) {
      console.warn('skipped: ../shared/data/px4/sample_log_small.ulg absent');
      return;
    }
    const r = await evaluate(rotX(0));
    expect(r.count).toBeGreaterThan(1000);
    expect(r.magAccepted).toBeGreaterThan(300);
    expect(r.rms[0]).toBeLessThan(2);
    expect(r.rms[1]).toBeLessThan(2);
    // The vehicle sits with ~1° of roll in this log, so 2° alone would also pass a level-assuming
    // estimator: also require a clear win over that baseline.
    expect(r.levelRms[0]).toBeGreaterThan(0.8);
    expect(r.rms[0]).toBeLessThan(0.25 * r.levelRms[0]);
    // Yaw: PX4's own heading still moves ~7° during this stationary log, so only a loose bound.
    expect(r.rms[2]).toBeLessThan(15);
  });

  it('recovers a strongly tilted sensor mounting (30° roll, −20° pitch) from the same real data', async () => {
    if (!existsSync(logPath)) {
      console.warn('skipped: ../shared/data/px4/sample_log_small.ulg absent');
      return;
    }
    const r = await evaluate(mul(rotX((30 * Math.PI) / 180), rotY((-20 * Math.PI) / 180)));
    expect(r.levelRms[0]).toBeGreaterThan(20);
    expect(r.rms[0]).toBeLessThan(2);
    expect(r.rms[1]).toBeLessThan(2);
  });
});
