/**
 * Small rigid-body geometry on plain numbers. Frames are right-handed; the ego body frame is
 * x forward, y left, z up (ROS REP 103); camera optical frames are x right, y down, z forward.
 * A `Transform` maps points of a child frame into its parent: p_parent = R · p_child + t.
 */
export type Vec3 = readonly [number, number, number];
/** Row-major 3x3 matrix. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

export interface Transform {
  readonly rotation: Mat3;
  readonly translation: Vec3;
}

export const IDENTITY_ROTATION: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
export const IDENTITY_TRANSFORM: Transform = { rotation: IDENTITY_ROTATION, translation: [0, 0, 0] };

/** Rotation for intrinsic Z-Y-X (yaw, pitch, roll) angles in radians. */
export function rotationFromYawPitchRoll(yaw: number, pitch: number, roll: number): Mat3 {
  const cy = Math.cos(yaw);
  const sy = Math.sin(yaw);
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  const cr = Math.cos(roll);
  const sr = Math.sin(roll);
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}

export function multiplyMat3(a: Mat3, b: Mat3): Mat3 {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = a;
  const [b0, b1, b2, b3, b4, b5, b6, b7, b8] = b;
  return [
    a0 * b0 + a1 * b3 + a2 * b6, a0 * b1 + a1 * b4 + a2 * b7, a0 * b2 + a1 * b5 + a2 * b8,
    a3 * b0 + a4 * b3 + a5 * b6, a3 * b1 + a4 * b4 + a5 * b7, a3 * b2 + a4 * b5 + a5 * b8,
    a6 * b0 + a7 * b3 + a8 * b6, a6 * b1 + a7 * b4 + a8 * b7, a6 * b2 + a7 * b5 + a8 * b8,
  ];
}

export function transposeMat3(m: Mat3): Mat3 {
  return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
}

export function rotateVec(m: Mat3, v: Vec3): Vec3 {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

export function transformPoint(t: Transform, p: Vec3): Vec3 {
  const r = rotateVec(t.rotation, p);
  return [r[0] + t.translation[0], r[1] + t.translation[1], r[2] + t.translation[2]];
}

/** parent←child composed with child←grandchild gives parent←grandchild. */
export function composeTransforms(parentFromChild: Transform, childFromGrandchild: Transform): Transform {
  return {
    rotation: multiplyMat3(parentFromChild.rotation, childFromGrandchild.rotation),
    translation: transformPoint(parentFromChild, childFromGrandchild.translation),
  };
}

export function invertTransform(t: Transform): Transform {
  const rt = transposeMat3(t.rotation);
  const ti = rotateVec(rt, t.translation);
  return { rotation: rt, translation: [-ti[0], -ti[1], -ti[2]] };
}

/** Build a transform from a row-major 3x4 [R | t] matrix (as KITTI's Tr_velo_to_cam is written). */
export function transformFromMatrix3x4(m: readonly number[]): Transform {
  if (m.length !== 12) throw new RangeError(`expected 12 numbers for a 3x4 matrix, found ${m.length}`);
  const v = (i: number): number => m[i] ?? 0;
  return {
    rotation: [v(0), v(1), v(2), v(4), v(5), v(6), v(8), v(9), v(10)],
    translation: [v(3), v(7), v(11)],
  };
}

/**
 * Rotation from a camera optical frame (x right, y down, z forward) into a body frame whose x axis
 * looks the same way (x forward, y left, z up).
 */
export const BODY_FROM_OPTICAL: Mat3 = [0, 0, 1, -1, 0, 0, 0, -1, 0];

/** An oriented 3D box: centre, size along its own x (length), y (width), z (height), and yaw about z. */
export interface Box3 {
  readonly center: Vec3;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yaw: number;
}

/** The 8 corners of a z-up box: bottom face first (counter-clockwise from front-left), then top. */
export function boxCorners(box: Box3): Vec3[] {
  const c = Math.cos(box.yaw);
  const s = Math.sin(box.yaw);
  const hl = box.length / 2;
  const hw = box.width / 2;
  const hh = box.height / 2;
  const out: Vec3[] = [];
  for (const dz of [-hh, hh]) {
    for (const [dx, dy] of [[hl, hw], [-hl, hw], [-hl, -hw], [hl, -hw]] as const) {
      out.push([box.center[0] + c * dx - s * dy, box.center[1] + s * dx + c * dy, box.center[2] + dz]);
    }
  }
  return out;
}

/** Whether a point lies inside a box grown by `margin` metres on every side. */
export function pointInBox(box: Box3, p: Vec3, margin = 0): boolean {
  const dx = p[0] - box.center[0];
  const dy = p[1] - box.center[1];
  const c = Math.cos(box.yaw);
  const s = Math.sin(box.yaw);
  const lx = c * dx + s * dy;
  const ly = -s * dx + c * dy;
  const lz = p[2] - box.center[2];
  return (
    Math.abs(lx) <= box.length / 2 + margin &&
    Math.abs(ly) <= box.width / 2 + margin &&
    Math.abs(lz) <= box.height / 2 + margin
  );
}

export function wrapAngle(a: number): number {
  let x = a;
  while (x > Math.PI) x -= 2 * Math.PI;
  while (x < -Math.PI) x += 2 * Math.PI;
  return x;
}
