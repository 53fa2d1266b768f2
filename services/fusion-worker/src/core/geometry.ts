/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array and matrix indexing on hot paths; indices are in range by construction */
import type { Box2d, CameraIntrinsics } from '@sensorfuse/schemas';
import type { Transform } from './types.js';

export function transformFrom(values: ArrayLike<number>): Transform {
  if (values.length !== 16) throw new RangeError(`a transform needs 16 values, found ${values.length}`);
  return Float64Array.from(values);
}

export function identityTransform(): Transform {
  return Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
}

/** a · b for 4×4 row-major transforms. */
export function composeTransforms(a: Transform, b: Transform): Transform {
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Inverse of a rigid transform [R t; 0 1] = [Rᵀ −Rᵀt; 0 1]. */
export function invertRigid(t: Transform): Transform {
  const out = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 4 + c] = t[c * 4 + r]!;
  }
  for (let r = 0; r < 3; r++) {
    out[r * 4 + 3] = -(out[r * 4]! * t[3]! + out[r * 4 + 1]! * t[7]! + out[r * 4 + 2]! * t[11]!);
  }
  out[15] = 1;
  return out;
}

/** Writes T · (x, y, z, 1) into out[offset..offset+2]. */
export function applyTransform(t: Transform, x: number, y: number, z: number, out: Float64Array, offset = 0): void {
  out[offset] = t[0]! * x + t[1]! * y + t[2]! * z + t[3]!;
  out[offset + 1] = t[4]! * x + t[5]! * y + t[6]! * z + t[7]!;
  out[offset + 2] = t[8]! * x + t[9]! * y + t[10]! * z + t[11]!;
}

/** Heading of the transform's x axis about +z (the yaw part of its rotation). */
export function yawOf(t: Transform): number {
  return Math.atan2(t[4]!, t[0]!);
}

/** The 8 corners (x, y, z interleaved, 24 values) of a box with centre, size (length along yaw, width, height) and yaw. */
export function boxCorners(
  cx: number, cy: number, cz: number, length: number, width: number, height: number, yawRad: number,
  out: Float64Array = new Float64Array(24),
): Float64Array {
  const c = Math.cos(yawRad);
  const s = Math.sin(yawRad);
  let i = 0;
  for (const sx of [0.5, -0.5]) {
    for (const sy of [0.5, -0.5]) {
      for (const sz of [0.5, -0.5]) {
        const lx = sx * length;
        const ly = sy * width;
        out[i++] = cx + c * lx - s * ly;
        out[i++] = cy + s * lx + c * ly;
        out[i++] = cz + sz * height;
      }
    }
  }
  return out;
}

/**
 * Pixel of a point in the camera's optical frame (x right, y down, z forward), with the lens distortion of
 * the calibration applied (OpenCV's plumb_bob and rational_polynomial, and the equidistant fisheye model).
 */
export function projectPoint(k: CameraIntrinsics, x: number, y: number, z: number): [number, number] {
  let u = x / z;
  let v = y / z;
  const d = k.distortionCoefficients;
  if (k.distortionModel === 'plumb_bob' || k.distortionModel === 'rational_polynomial') {
    const r2 = u * u + v * v;
    const k1 = d[0] ?? 0, k2 = d[1] ?? 0, p1 = d[2] ?? 0, p2 = d[3] ?? 0, k3 = d[4] ?? 0;
    let radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
    if (k.distortionModel === 'rational_polynomial') {
      const k4 = d[5] ?? 0, k5 = d[6] ?? 0, k6 = d[7] ?? 0;
      radial /= 1 + k4 * r2 + k5 * r2 * r2 + k6 * r2 * r2 * r2;
    }
    const du = u * radial + 2 * p1 * u * v + p2 * (r2 + 2 * u * u);
    const dv = v * radial + p1 * (r2 + 2 * v * v) + 2 * p2 * u * v;
    u = du;
    v = dv;
  } else if (k.distortionModel === 'equidistant') {
    const r = Math.hypot(u, v);
    if (r > 1e-12) {
      const th = Math.atan(r);
      const th2 = th * th;
      const thd = th * (1 + (d[0] ?? 0) * th2 + (d[1] ?? 0) * th2 ** 2 + (d[2] ?? 0) * th2 ** 3 + (d[3] ?? 0) * th2 ** 4);
      u *= thd / r;
      v *= thd / r;
    }
  }
  return [k.fx * u + k.cx, k.fy * v + k.cy];
}

/** Convex hull (Andrew's monotone chain) of 2D points, counter-clockwise. */
function convexHull(points: [number, number][]): [number, number][] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: [number, number][] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/** Sutherland–Hodgman clip of a polygon against an axis-aligned rectangle. */
function clipToRect(poly: [number, number][], xMax: number, yMax: number): [number, number][] {
  type Edge = (p: [number, number]) => number; // ≥ 0 inside
  const edges: Edge[] = [(p) => p[0], (p) => xMax - p[0], (p) => p[1], (p) => yMax - p[1]];
  let out = poly;
  for (const inside of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const a = input[i]!;
      const b = input[(i + 1) % input.length]!;
      const da = inside(a);
      const db = inside(b);
      if (da >= 0) out.push(a);
      if ((da >= 0) !== (db >= 0)) {
        const t = da / (da - db);
        out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
      }
    }
    if (out.length === 0) break;
  }
  return out;
}

export interface ProjectedBox {
  readonly box: Box2d;
  /** Depth of the box centre along the optical axis, metres. */
  readonly depthM: number;
}

const NEAR_PLANE_M = 0.1;

/**
 * 2D box of a 3D box (8 corners in the camera's optical frame) in the image: corners behind the near plane
 * are dropped, the rest projected, and the convex hull clipped to the image (as the nuScenes devkit derives
 * its 2D boxes). Undefined when the box is behind the camera or outside the image.
 */
export function projectCornersToImage(k: CameraIntrinsics, cornersCam: Float64Array): Box2d | undefined {
  const pts: [number, number][] = [];
  for (let i = 0; i < 8; i++) {
    const z = cornersCam[i * 3 + 2]!;
    if (z <= NEAR_PLANE_M) continue;
    pts.push(projectPoint(k, cornersCam[i * 3]!, cornersCam[i * 3 + 1]!, z));
  }
  if (pts.length === 0) return undefined;
  const clipped = clipToRect(convexHull(pts), k.width, k.height);
  if (clipped.length < 3) return undefined;
  let xMin = Infinity, yMin = Infinity, xMax = -Infinity, yMax = -Infinity;
  for (const [x, y] of clipped) {
    if (x < xMin) xMin = x;
    if (x > xMax) xMax = x;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  }
  if (xMax - xMin <= 0 || yMax - yMin <= 0) return undefined;
  return { xMin, yMin, xMax, yMax };
}

export function boxArea(b: Box2d): number {
  return Math.max(0, b.xMax - b.xMin) * Math.max(0, b.yMax - b.yMin);
}

export function intersectionArea(a: Box2d, b: Box2d): number {
  const w = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
  const h = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box2d, b: Box2d): number {
  const inter = intersectionArea(a, b);
  if (inter === 0) return 0;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

export function wrapAngle(a: number): number {
  let r = a % (2 * Math.PI);
  if (r > Math.PI) r -= 2 * Math.PI;
  else if (r <= -Math.PI) r += 2 * Math.PI;
  return r;
}
