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
async function readLog(): Promise<{ samples: MotionSample[]; reference: Reference[] }> {
  const ulog = new ULog(new FileReader(logPath));
  await ulog.open();
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
      samples.push({ kind: 'mag', captureTimeUs: t, fieldBody: [m[0] ?? 0, -(m[1] ?? 0), -(m[2] ?? 0)] });
    } else {
      reference.push({ timeUs: t, q: v.q as number[] });
    }
  }
  samples.sort((x, y) => x.captureTimeUs - y.captureTimeUs);
  return { samples, reference };
}

/** Roll, pitch, yaw (Z-Y-X) of the FLU→ENU rotation equivalent to PX4's FRD→NED quaternion. */
function px4ToEnuEuler(q: readonly number[]): [number, number, number] {
  const [w = 1, x = 0, y = 0, z = 0] = q;
  const r = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ];
  const at = (i: number, j: number): number => r[i]?.[j] ?? 0;
  // R_enu_flu = T · R_ned_frd · S with T = [[0,1,0],[1,0,0],[0,0,-1]], S = diag(1,-1,-1).
  const sgnT = [1, 1, -1];
  const rowT = [1, 0, 2];
  const sgnS = [1, -1, -1];
  const m = (i: number, j: number): number => (sgnT[i] ?? 1) * at(rowT[i] ?? 0, j) * (sgnS[j] ?? 1);
  const roll = Math.atan2(m(2, 1), m(2, 2));
  const pitch = Math.asin(Math.max(-1, Math.min(1, -m(2, 0))));
  const yaw = Math.atan2(m(1, 0), m(0, 0));
  return [roll, pitch, yaw];
}

const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));
const DEG = 180 / Math.PI;

describe('attitude filter on a real PX4 flight log', () => {
  it('tracks roll and pitch within 2° RMS of PX4 vehicle_attitude and reports yaw error', async () => {
    if (!existsSync(logPath)) {
      console.warn('skipped: ../shared/data/px4/sample_log_small.ulg absent');
      return;
    }
    const { samples, reference } = await readLog();
    expect(samples.length).toBeGreaterThan(1000);
    const est = new MotionEstimator();
    const byTime = new Map(reference.map((r) => [r.timeUs, r]));
    const errors: [number, number, number][] = [];
    // A baseline that assumes level flight, to show the log's attitude is not trivially ~0.
    const levelErrors: [number, number][] = [];
    const firstUs = samples[0]?.captureTimeUs ?? 0;
    for (const s of samples) {
      est.update(s);
      const ref = s.kind === 'imu' ? byTime.get(s.captureTimeUs) : undefined;
      if (ref === undefined || s.captureTimeUs - firstUs < 500_000) continue;
      const state = est.state();
      const [roll, pitch, yaw] = px4ToEnuEuler(ref.q);
      errors.push([wrap(state.rollRad - roll), wrap(state.pitchRad - pitch), wrap(state.yawRad - yaw)]);
      levelErrors.push([roll, pitch]);
    }
    const rms = (k: 0 | 1 | 2): number => Math.sqrt(errors.reduce((acc, e) => acc + e[k] ** 2, 0) / errors.length) * DEG;
    const meanYaw = (errors.reduce((acc, e) => acc + e[2], 0) / errors.length) * DEG;
    const levelRms = (k: 0 | 1): number => Math.sqrt(levelErrors.reduce((acc, e) => acc + e[k] ** 2, 0) / levelErrors.length) * DEG;
    const stats = est.stats();
    console.info(
      `PX4 log: ${errors.length} attitude comparisons; roll RMS ${rms(0).toFixed(3)}°, pitch RMS ${rms(1).toFixed(3)}°, ` +
        `yaw RMS ${rms(2).toFixed(3)}° (mean ${meanYaw.toFixed(3)}°); mag accepted ${stats.magAccepted}, rejected ${stats.magRejected}; ` +
        `gravity updates rejected ${stats.gravityRejected}; level-attitude baseline roll RMS ${levelRms(0).toFixed(3)}°, pitch RMS ${levelRms(1).toFixed(3)}°`,
    );
    expect(errors.length).toBeGreaterThan(1000);
    expect(rms(0)).toBeLessThan(2);
    expect(rms(1)).toBeLessThan(2);
    // The vehicle sits with ~1° of roll in this log, so 2° alone would also pass a level-assuming
    // estimator: also require a clear win over that baseline.
    expect(levelRms(0)).toBeGreaterThan(0.8);
    expect(rms(0)).toBeLessThan(0.25 * levelRms(0));
    // Yaw: magnetometer heading without declination, so only a loose bound (the figure is reported).
    expect(rms(2)).toBeLessThan(15);
  });
});
