// Motion samples for the specs, in the wire types (MotionSample with its Avro union payload).
import type { MotionSample } from '@sensorfuse/schemas';

export const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z, a multiple of every output period used here
export const G = 9.80665;

export function imu(t: number, accel: [number, number, number], gyro: [number, number, number] = [0, 0, 0], seq = 0, rigId = 'rig-1', mag: [number, number, number] | null = null): MotionSample {
  return {
    rigId,
    sensorId: 'imu0',
    seq,
    captureTimeUs: t,
    publishTimeUs: t + 500,
    frameId: 'imu0',
    payload: {
      'sensorfuse.ImuSample': {
        linearAcceleration: { x: accel[0], y: accel[1], z: accel[2] },
        angularVelocity: { x: gyro[0], y: gyro[1], z: gyro[2] },
        magneticField: mag === null ? null : { x: mag[0], y: mag[1], z: mag[2] },
        orientation: null,
      },
    },
  };
}

export function gnss(t: number, latDeg: number, lonDeg: number, altitudeM = 100, seq = 0, rigId = 'rig-1', stdM = 1): MotionSample {
  return {
    rigId,
    sensorId: 'gnss0',
    seq,
    captureTimeUs: t,
    publishTimeUs: t + 500,
    frameId: 'gnss0',
    payload: {
      'sensorfuse.GnssFix': {
        latitudeDeg: latDeg,
        longitudeDeg: lonDeg,
        altitudeM,
        positionCovariance: [stdM ** 2, 0, 0, 0, stdM ** 2, 0, 0, 0, (2 * stdM) ** 2],
        covarianceType: 'diagonal_known',
        fixType: 'fix',
      },
    },
  };
}

/** Roll, pitch (rad) of a Hamilton quaternion, the usual aerospace formulas. */
export function rollPitch(q: { x: number; y: number; z: number; w: number }): [number, number] {
  const roll = Math.atan2(2 * (q.w * q.x + q.y * q.z), 1 - 2 * (q.x * q.x + q.y * q.y));
  const pitch = Math.asin(Math.max(-1, Math.min(1, 2 * (q.w * q.y - q.z * q.x))));
  return [roll, pitch];
}

/** Earth's field in ENU near 48° N, tesla: 20 µT north, 43 µT down. A level rig heading east reads it as is. */
export const EARTH_FIELD_ENU: [number, number, number] = [0, 2.0e-5, -4.3e-5];

/**
 * A rig standing still and level, heading east, for `seconds`: IMU at 100 Hz reading +g on z and
 * Earth's field on the magnetometer, and (when `withGnss`) a fix at (lat, lon) at 10 Hz. Samples in
 * capture-time order.
 */
export function standingStill(seconds: number, withGnss: boolean, lat = 48.137, lon = 11.575, start = T0, rigId = 'rig-1'): MotionSample[] {
  const out: MotionSample[] = [];
  for (let k = 0; k < seconds * 100; k++) {
    const t = start + k * 10_000;
    out.push(imu(t, [0, 0, G], [0, 0, 0], k, rigId, EARTH_FIELD_ENU));
    if (withGnss && k % 10 === 5) out.push(gnss(t, lat, lon, 100, (k - 5) / 10, rigId));
  }
  return out;
}
