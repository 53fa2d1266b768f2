import type { Box3, Transform, Vec3 } from './geometry.js';
import { boxCorners, transformPoint } from './geometry.js';

/** Pinhole intrinsics in pixels (no distortion: the simulator renders an ideal rectified image). */
export interface PinholeIntrinsics {
  readonly width: number;
  readonly height: number;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
}

/** A pixel position and the point's depth along the optical axis (metres). */
export interface ImagePoint {
  readonly u: number;
  readonly v: number;
  readonly depth: number;
}

export interface ImageBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** Points closer than this to the image plane are not projected (they would blow up). */
export const NEAR_PLANE_M = 0.05;

/** Pinhole projection of a point already in the camera optical frame; undefined behind the near plane. */
export function projectCameraPoint(k: PinholeIntrinsics, p: Vec3): ImagePoint | undefined {
  const z = p[2];
  if (z < NEAR_PLANE_M) return undefined;
  return { u: k.fx * (p[0] / z) + k.cx, v: k.fy * (p[1] / z) + k.cy, depth: z };
}

/**
 * Project a point given in some frame F (ego, LIDAR, KITTI rectified camera…) through the
 * extrinsic `cameraFromFrame` (F → camera optical) and the pinhole intrinsics.
 */
export function projectPoint(k: PinholeIntrinsics, cameraFromFrame: Transform, p: Vec3): ImagePoint | undefined {
  return projectCameraPoint(k, transformPoint(cameraFromFrame, p));
}

/**
 * The image-plane bounding box of a set of 3D points (e.g. box corners) given in frame F, with the
 * edges between consecutive corner pairs clipped at the near plane so that boxes partly behind
 * the camera still get the right extent. Clipped to the image; undefined when nothing is in view.
 */
export function projectPointsBounds(
  k: PinholeIntrinsics,
  cameraFromFrame: Transform,
  points: readonly Vec3[],
  edges: readonly (readonly [number, number])[] = [],
  clipToImage: 'clip' | 'no-clip' = 'clip',
): ImageBox | undefined {
  const cam = points.map((p) => transformPoint(cameraFromFrame, p));
  const projected: ImagePoint[] = [];
  for (const p of cam) {
    const q = projectCameraPoint(k, p);
    if (q) projected.push(q);
  }
  for (const [i, j] of edges) {
    const a = cam[i];
    const b = cam[j];
    if (!a || !b) continue;
    if ((a[2] < NEAR_PLANE_M) === (b[2] < NEAR_PLANE_M)) continue;
    const t = (NEAR_PLANE_M - a[2]) / (b[2] - a[2]);
    const q = projectCameraPoint(k, [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), NEAR_PLANE_M + 1e-9]);
    if (q) projected.push(q);
  }
  if (projected.length === 0) return undefined;
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const q of projected) {
    x1 = Math.min(x1, q.u);
    y1 = Math.min(y1, q.v);
    x2 = Math.max(x2, q.u);
    y2 = Math.max(y2, q.v);
  }
  if (clipToImage === 'no-clip') return { x1, y1, x2, y2 };
  x1 = Math.max(0, x1);
  y1 = Math.max(0, y1);
  x2 = Math.min(k.width, x2);
  y2 = Math.min(k.height, y2);
  if (x2 <= x1 || y2 <= y1) return undefined;
  return { x1, y1, x2, y2 };
}

/** The 12 edges of a box in the corner order of `boxCorners`. */
export const BOX_EDGES: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7],
];

/** The 2D box a 3D box (given in frame F) covers in the image. */
export function projectBox(k: PinholeIntrinsics, cameraFromFrame: Transform, box: Box3): ImageBox | undefined {
  return projectPointsBounds(k, cameraFromFrame, boxCorners(box), BOX_EDGES);
}

/**
 * Split a row-major 3x4 projection matrix P = K [I | t] (as KITTI's P0..P3 are written, for
 * rectified cameras whose rotation is the identity) into pinhole intrinsics and the translation
 * of the rectified reference frame into that camera.
 */
export function decomposeRectifiedProjection(
  p: readonly number[],
  width: number,
  height: number,
): { intrinsics: PinholeIntrinsics; cameraFromRectified: Transform } {
  if (p.length !== 12) throw new RangeError(`expected 12 numbers for a 3x4 projection, found ${p.length}`);
  const at = (i: number): number => p[i] ?? 0;
  const fx = at(0);
  const cx = at(2);
  const fy = at(5);
  const cy = at(6);
  const tz = at(11);
  const tx = (at(3) - cx * tz) / fx;
  const ty = (at(7) - cy * tz) / fy;
  return {
    intrinsics: { width, height, fx, fy, cx, cy },
    cameraFromRectified: { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [tx, ty, tz] },
  };
}

/** Intrinsics of an ideal camera with a horizontal field of view and square pixels. */
export function intrinsicsFromFov(width: number, height: number, horizontalFovDeg: number): PinholeIntrinsics {
  const f = width / 2 / Math.tan((horizontalFovDeg * Math.PI) / 360);
  return { width, height, fx: f, fy: f, cx: width / 2, cy: height / 2 };
}
