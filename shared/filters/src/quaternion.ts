/* eslint-disable @typescript-eslint/no-non-null-assertion -- fixed-size typed-array reads (quaternion: 4, vectors: 3, matrices: 9) */
/**
 * Unit quaternions [w, x, y, z] (Hamilton convention) rotating body vectors into the navigation
 * frame: v_nav = R(q) · v_body. Composition q_a ⊗ q_b applies q_b first.
 */
export type Quaternion = Float64Array;

export function quaternion(w = 1, x = 0, y = 0, z = 0): Quaternion {
  return Float64Array.of(w, x, y, z);
}

/** out = a ⊗ b; out may alias a or b. */
export function quatMultiply(a: Quaternion, b: Quaternion, out: Quaternion): Quaternion {
  const aw = a[0]!, ax = a[1]!, ay = a[2]!, az = a[3]!;
  const bw = b[0]!, bx = b[1]!, by = b[2]!, bz = b[3]!;
  out[0] = aw * bw - ax * bx - ay * by - az * bz;
  out[1] = aw * bx + ax * bw + ay * bz - az * by;
  out[2] = aw * by - ax * bz + ay * bw + az * bx;
  out[3] = aw * bz + ax * by - ay * bx + az * bw;
  return out;
}

/** Normalises in place (and flips to w ≥ 0); a degenerate quaternion becomes identity. */
export function quatNormalize(q: Quaternion): Quaternion {
  const norm = Math.sqrt(q[0]! * q[0]! + q[1]! * q[1]! + q[2]! * q[2]! + q[3]! * q[3]!);
  if (!(norm > 1e-12) || !Number.isFinite(norm)) {
    q[0] = 1; q[1] = 0; q[2] = 0; q[3] = 0;
    return q;
  }
  const s = q[0]! < 0 ? -1 / norm : 1 / norm;
  for (let i = 0; i < 4; i++) q[i] = q[i]! * s;
  return q;
}

/** Quaternion of the rotation vector (x, y, z) radians (exact exponential map). */
export function quatFromRotationVector(x: number, y: number, z: number, out: Quaternion): Quaternion {
  const angle = Math.sqrt(x * x + y * y + z * z);
  if (angle < 1e-9) {
    out[0] = 1; out[1] = 0.5 * x; out[2] = 0.5 * y; out[3] = 0.5 * z;
    return quatNormalize(out);
  }
  const s = Math.sin(0.5 * angle) / angle;
  out[0] = Math.cos(0.5 * angle); out[1] = x * s; out[2] = y * s; out[3] = z * s;
  return out;
}

/** Rotation matrix R(q) (row-major 3×3). */
export function quatToMatrix(q: Quaternion, out: Float64Array): Float64Array {
  const w = q[0]!, x = q[1]!, y = q[2]!, z = q[3]!;
  out[0] = 1 - 2 * (y * y + z * z); out[1] = 2 * (x * y - w * z); out[2] = 2 * (x * z + w * y);
  out[3] = 2 * (x * y + w * z); out[4] = 1 - 2 * (x * x + z * z); out[5] = 2 * (y * z - w * x);
  out[6] = 2 * (x * z - w * y); out[7] = 2 * (y * z + w * x); out[8] = 1 - 2 * (x * x + y * y);
  return out;
}

/** Quaternion from a rotation matrix (Shepperd's method). */
export function quatFromMatrix(m: ArrayLike<number>, out: Quaternion): Quaternion {
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, m10 = m[3]!, m11 = m[4]!, m12 = m[5]!, m20 = m[6]!, m21 = m[7]!, m22 = m[8]!;
  const trace = m00 + m11 + m22;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    out[0] = 0.25 * s; out[1] = (m21 - m12) / s; out[2] = (m02 - m20) / s; out[3] = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    out[0] = (m21 - m12) / s; out[1] = 0.25 * s; out[2] = (m01 + m10) / s; out[3] = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    out[0] = (m02 - m20) / s; out[1] = (m01 + m10) / s; out[2] = 0.25 * s; out[3] = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    out[0] = (m10 - m01) / s; out[1] = (m02 + m20) / s; out[2] = (m12 + m21) / s; out[3] = 0.25 * s;
  }
  return quatNormalize(out);
}

/** Quaternion from Z-Y-X Euler angles (yaw about nav z, then pitch about y, then roll about x). */
export function quatFromEuler(rollRad: number, pitchRad: number, yawRad: number, out: Quaternion): Quaternion {
  const cr = Math.cos(0.5 * rollRad), sr = Math.sin(0.5 * rollRad);
  const cp = Math.cos(0.5 * pitchRad), sp = Math.sin(0.5 * pitchRad);
  const cy = Math.cos(0.5 * yawRad), sy = Math.sin(0.5 * yawRad);
  out[0] = cr * cp * cy + sr * sp * sy;
  out[1] = sr * cp * cy - cr * sp * sy;
  out[2] = cr * sp * cy + sr * cp * sy;
  out[3] = cr * cp * sy - sr * sp * cy;
  return out;
}

/** Z-Y-X Euler angles [roll, pitch, yaw] of q, radians. */
export function quatToEuler(q: Quaternion, out: Float64Array): Float64Array {
  const w = q[0]!, x = q[1]!, y = q[2]!, z = q[3]!;
  out[0] = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  out[1] = Math.asin(Math.max(-1, Math.min(1, 2 * (w * y - z * x))));
  out[2] = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  return out;
}

/** Spherical linear interpolation from a (s = 0) to b (s = 1), shortest path. */
export function quatSlerp(a: Quaternion, b: Quaternion, s: number, out: Quaternion): Quaternion {
  let dot = a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!;
  const sign = dot < 0 ? -1 : 1;
  dot *= sign;
  let wa: number, wb: number;
  if (dot > 0.9995) {
    wa = 1 - s;
    wb = s * sign;
  } else {
    const theta = Math.acos(dot);
    const sinTheta = Math.sin(theta);
    wa = Math.sin((1 - s) * theta) / sinTheta;
    wb = (Math.sin(s * theta) / sinTheta) * sign;
  }
  for (let i = 0; i < 4; i++) out[i] = wa * a[i]! + wb * b[i]!;
  return quatNormalize(out);
}

/** Wraps an angle to (−π, π]. */
export function wrapAngle(rad: number): number {
  const w = rad - 2 * Math.PI * Math.floor((rad + Math.PI) / (2 * Math.PI));
  return w <= -Math.PI ? w + 2 * Math.PI : w;
}
