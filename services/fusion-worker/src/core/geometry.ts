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
  for (let a = 0; a < 2; a++) {
    const sx = a === 0 ? 0.5 : -0.5;
    for (let b = 0; b < 2; b++) {
      const sy = b === 0 ? 0.5 : -0.5;
      for (let d = 0; d < 2; d++) {
        const sz = d === 0 ? 0.5 : -0.5;
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
  projectPointInto(k, x, y, z, pixel, 0);
  return [pixel[0]!, pixel[1]!];
}

const pixel = new Float64Array(2);

/** projectPoint writing u, v into out[offset], out[offset + 1] (no allocation: hot path). */
export function projectPointInto(k: CameraIntrinsics, x: number, y: number, z: number, out: Float64Array, offset: number): void {
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
  out[offset] = k.fx * u + k.cx;
  out[offset + 1] = k.fy * v + k.cy;
}

// Scratch buffers of projectCornersToImage: this runs for every object in every camera of every frame, so the
// projected corners, their hull and its clipped polygon live in preallocated typed arrays (x, y interleaved).
// 8 corners → a hull of ≤ 8 vertices; each of the 4 clipping edges adds at most one vertex.
const MAX_POLY = 16;
const projected = new Float64Array(2 * 8);
const sortedIdx = new Int32Array(8);
const hullBuf = new Float64Array(2 * MAX_POLY);
const clipA = new Float64Array(2 * MAX_POLY);
const clipB = new Float64Array(2 * MAX_POLY);

function cross(buf: Float64Array, o: number, a: number, px: number, py: number): number {
  const ox = buf[2 * o]!;
  const oy = buf[2 * o + 1]!;
  return (buf[2 * a]! - ox) * (py - oy) - (buf[2 * a + 1]! - oy) * (px - ox);
}

/**
 * Convex hull (Andrew's monotone chain) of the first n points of `projected`, counter-clockwise, written into
 * hullBuf; returns its vertex count (fewer than 3 points: the points themselves, sorted).
 */
function convexHull(n: number): number {
  // Insertion sort of the point indices by (x, y): at most 8 points.
  for (let i = 0; i < n; i++) {
    const xi = projected[2 * i]!;
    const yi = projected[2 * i + 1]!;
    let j = i - 1;
    while (j >= 0) {
      const k = sortedIdx[j]!;
      const dx = projected[2 * k]! - xi;
      if (dx < 0 || (dx === 0 && projected[2 * k + 1]! - yi <= 0)) break;
      sortedIdx[j + 1] = k;
      j--;
    }
    sortedIdx[j + 1] = i;
  }
  if (n < 3) {
    for (let i = 0; i < n; i++) {
      hullBuf[2 * i] = projected[2 * sortedIdx[i]!]!;
      hullBuf[2 * i + 1] = projected[2 * sortedIdx[i]! + 1]!;
    }
    return n;
  }
  // Lower hull into hullBuf[0..], then the upper hull after it (the chain's last point of each is dropped).
  let m = 0;
  for (let i = 0; i < n; i++) {
    const qx = projected[2 * sortedIdx[i]!]!;
    const qy = projected[2 * sortedIdx[i]! + 1]!;
    while (m >= 2 && cross(hullBuf, m - 2, m - 1, qx, qy) <= 0) m--;
    hullBuf[2 * m] = qx;
    hullBuf[2 * m + 1] = qy;
    m++;
  }
  const lower = m - 1;
  const base = m - 1;
  m = base;
  let u = 0;
  for (let i = n - 1; i >= 0; i--) {
    const qx = projected[2 * sortedIdx[i]!]!;
    const qy = projected[2 * sortedIdx[i]! + 1]!;
    while (u >= 2 && cross(hullBuf, m - 2, m - 1, qx, qy) <= 0) {
      m--;
      u--;
    }
    hullBuf[2 * m] = qx;
    hullBuf[2 * m + 1] = qy;
    m++;
    u++;
  }
  return lower + u - 1;
}

/** Signed inside-distance of a vertex to clipping edge e of the rectangle [0, xMax] × [0, yMax] (≥ 0 inside). */
function insideOf(e: number, x: number, y: number, xMax: number, yMax: number): number {
  return e === 0 ? x : e === 1 ? xMax - x : e === 2 ? y : yMax - y;
}

/**
 * Sutherland–Hodgman clip of the n-vertex polygon in hullBuf against [0, xMax] × [0, yMax]; the result is
 * in the returned buffer (clipA or clipB), its vertex count in clippedCount.
 */
let clippedCount = 0;
function clipToRect(n: number, xMax: number, yMax: number): Float64Array {
  let input = hullBuf;
  let len = n;
  let out = clipA;
  for (let e = 0; e < 4; e++) {
    let m = 0;
    for (let i = 0; i < len; i++) {
      const j = i + 1 === len ? 0 : i + 1;
      const ax = input[2 * i]!;
      const ay = input[2 * i + 1]!;
      const bx = input[2 * j]!;
      const by = input[2 * j + 1]!;
      const da = insideOf(e, ax, ay, xMax, yMax);
      const db = insideOf(e, bx, by, xMax, yMax);
      if (da >= 0) {
        out[2 * m] = ax;
        out[2 * m + 1] = ay;
        m++;
      }
      if ((da >= 0) !== (db >= 0)) {
        const t = da / (da - db);
        out[2 * m] = ax + t * (bx - ax);
        out[2 * m + 1] = ay + t * (by - ay);
        m++;
      }
    }
    len = m;
    input = out;
    out = out === clipA ? clipB : clipA;
    if (len === 0) break;
  }
  clippedCount = len;
  return input;
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
  let n = 0;
  for (let i = 0; i < 8; i++) {
    const z = cornersCam[i * 3 + 2]!;
    if (z <= NEAR_PLANE_M) continue;
    projectPointInto(k, cornersCam[i * 3]!, cornersCam[i * 3 + 1]!, z, projected, 2 * n);
    n++;
  }
  if (n === 0) return undefined;
  const clipped = clipToRect(convexHull(n), k.width, k.height);
  const len = clippedCount;
  if (len < 3) return undefined;
  let xMin = Infinity, yMin = Infinity, xMax = -Infinity, yMax = -Infinity;
  for (let i = 0; i < len; i++) {
    const x = clipped[2 * i]!;
    const y = clipped[2 * i + 1]!;
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
