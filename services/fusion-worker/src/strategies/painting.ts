/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array indexing on the hot path; indices are in range by construction */
/**
 * PointPainting (Vora et al., CVPR 2020) with a box detector: every LIDAR point is projected into a camera
 * and takes, per class, the highest score of the detector boxes its pixel falls in. The shipped camera
 * detector outputs boxes (class + score), not a per-pixel segmentation, so a box stands in for its mask.
 * Pure: no I/O, typed arrays only.
 */
import type { Detection2d, ObjectClass } from '@sensorfuse/schemas';
import { applyTransform, projectPoint } from '../core/geometry.js';
import type { ResolvedCamera } from '../core/types.js';

/** Classes of the painted score vector, in channel order. */
export const PAINT_CLASSES: readonly ObjectClass[] = ['car', 'truck', 'bus', 'pedestrian', 'cyclist', 'motorcyclist', 'animal', 'other'];
export const PAINT_CHANNELS = PAINT_CLASSES.length;
const CHANNEL = new Map<ObjectClass, number>(PAINT_CLASSES.map((c, i) => [c, i]));

/** Points nearer than this in front of the camera are not projected (behind or at the lens), metres. */
export const MIN_DEPTH_M = 0.1;

/** Painting of one sweep: per point its pixel, depth and the class scores (n × PAINT_CHANNELS, row-major). */
export interface PaintedPoints {
  readonly length: number;
  /** Pixel column / row of the point in the camera (NaN when behind the camera). */
  readonly u: Float32Array;
  readonly v: Float32Array;
  /** Depth along the optical axis, metres (≤ 0 behind the camera). */
  readonly depthM: Float32Array;
  /** 1 when the point projects inside the image, else 0. */
  readonly inImage: Uint8Array;
  readonly scores: Float32Array;
}

/**
 * Paints `n` points given in the body frame (x, y, z arrays) with the boxes of one camera. Scores of a
 * point outside every box, or outside the image, stay 0. Painting with several cameras: call once per
 * camera into the same `out` (scores are combined by maximum).
 */
export function paintPoints(
  x: ArrayLike<number>, y: ArrayLike<number>, z: ArrayLike<number>, n: number,
  camera: ResolvedCamera, detections: readonly Detection2d[], out?: PaintedPoints,
): PaintedPoints {
  const painted = out ?? {
    length: n, u: new Float32Array(n).fill(Number.NaN), v: new Float32Array(n).fill(Number.NaN), depthM: new Float32Array(n),
    inImage: new Uint8Array(n), scores: new Float32Array(n * PAINT_CHANNELS),
  };
  const k = camera.intrinsics;
  const cam = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    applyTransform(camera.bodyToCamera, x[i]!, y[i]!, z[i]!, cam, 0);
    const depth = cam[2]!;
    if (depth < MIN_DEPTH_M) continue;
    const [u, v] = projectPoint(k, cam[0]!, cam[1]!, depth);
    if (!(u >= 0 && u < k.width && v >= 0 && v < k.height)) continue;
    painted.u[i] = u;
    painted.v[i] = v;
    painted.depthM[i] = depth;
    painted.inImage[i] = 1;
    for (const d of detections) {
      const b = d.box;
      if (u < b.xMin || u > b.xMax || v < b.yMin || v > b.yMax) continue;
      const c = CHANNEL.get(d.objectClass);
      if (c === undefined) continue;
      const at = i * PAINT_CHANNELS + c;
      if (d.score > painted.scores[at]!) painted.scores[at] = d.score;
    }
  }
  return painted;
}
