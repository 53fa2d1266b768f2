/**
 * Interpolation at a target time between two bracketing samples: linear for vectors, spherical
 * linear (slerp) for orientation quaternions. Pure functions over plain arrays.
 */

/** Position of targetUs between beforeUs (0) and afterUs (1); 0 when the samples coincide. */
export function interpolationFraction(beforeUs: number, afterUs: number, targetUs: number): number {
  return afterUs === beforeUs ? 0 : (targetUs - beforeUs) / (afterUs - beforeUs);
}

/** a + (b − a)·fraction, component-wise. */
export function interpolateLinear(a: ArrayLike<number>, b: ArrayLike<number>, fraction: number): Float64Array {
  if (a.length !== b.length) throw new RangeError(`interpolateLinear: lengths differ (${a.length} vs ${b.length})`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] ?? 0;
    out[i] = x + ((b[i] ?? 0) - x) * fraction;
  }
  return out;
}

/**
 * Slerp between unit quaternions given as [x, y, z, w] (ROS order), along the shorter arc.
 * Falls back to normalised linear interpolation when the two are nearly parallel.
 */
export function slerpQuaternion(a: ArrayLike<number>, b: ArrayLike<number>, fraction: number): Float64Array {
  if (a.length !== 4 || b.length !== 4) throw new RangeError('slerpQuaternion: quaternions are [x, y, z, w]');
  let bx = b[0] ?? 0;
  let by = b[1] ?? 0;
  let bz = b[2] ?? 0;
  let bw = b[3] ?? 1;
  const ax = a[0] ?? 0;
  const ay = a[1] ?? 0;
  const az = a[2] ?? 0;
  const aw = a[3] ?? 1;
  let cos = ax * bx + ay * by + az * bz + aw * bw;
  if (cos < 0) {
    // q and −q are the same rotation: take the short way round.
    cos = -cos;
    bx = -bx;
    by = -by;
    bz = -bz;
    bw = -bw;
  }
  let wa: number;
  let wb: number;
  if (cos > 0.9995) {
    wa = 1 - fraction;
    wb = fraction;
  } else {
    const theta = Math.acos(cos);
    const sin = Math.sin(theta);
    wa = Math.sin((1 - fraction) * theta) / sin;
    wb = Math.sin(fraction * theta) / sin;
  }
  const out = Float64Array.of(wa * ax + wb * bx, wa * ay + wb * by, wa * az + wb * bz, wa * aw + wb * bw);
  const norm = Math.hypot(out[0] ?? 0, out[1] ?? 0, out[2] ?? 0, out[3] ?? 0);
  for (let i = 0; i < 4; i += 1) out[i] = (out[i] ?? 0) / norm;
  return out;
}
