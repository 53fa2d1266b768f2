import type { PointCloud } from './cloud.js';
import { Scratch } from './scratch.js';

export type ClassHint = 'vehicle' | 'pedestrian' | 'cyclist' | 'unknown';

/** An oriented box in the sensor frame: yaw about +z, length along yaw ≥ width. */
export interface ObjectBox {
  readonly centerX: number;
  readonly centerY: number;
  readonly centerZ: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  /** Radians in (−π/2, π/2]: a box has no front from geometry alone. */
  readonly yaw: number;
  readonly pointCount: number;
  readonly meanIntensity: number;
  readonly classHint: ClassHint;
}

export interface BoxFitParams {
  /** Angle step of the L-shape search, degrees (1°). */
  readonly angleStepDeg: number;
}

/**
 * Search-based L-shape fitting (Zhang et al., "Efficient L-Shape Fitting for Vehicle Detection
 * Using Laser Scanners", IV 2017) with the closeness criterion: over headings θ ∈ [0°, 90°) the
 * rectangle whose edges have the most points close to them wins. Better than a min-area rectangle
 * on partly seen cars, whose visible points form an L. Height from min/max z.
 */
export function fitBox(
  cloud: PointCloud,
  indices: Uint32Array,
  from: number,
  to: number,
  params: BoxFitParams,
  scratch: Scratch = new Scratch(),
): ObjectBox {
  const { x, y, z, intensity } = cloud;
  const count = to - from;
  let minZ = Infinity;
  let maxZ = -Infinity;
  let sumI = 0;
  let cx = 0;
  let cy = 0;
  for (let t = from; t < to; t++) {
    const i = indices[t] ?? 0;
    const pz = z[i] ?? 0;
    if (pz < minZ) minZ = pz;
    if (pz > maxZ) maxZ = pz;
    sumI += intensity[i] ?? 0;
    cx += x[i] ?? 0;
    cy += y[i] ?? 0;
  }
  cx /= Math.max(1, count);
  cy /= Math.max(1, count);
  const step = (Math.max(0.1, params.angleStepDeg) * Math.PI) / 180;
  // The cluster's points relative to its centroid, gathered once into contiguous arrays.
  const px = scratch.f64('box.px', count);
  const py = scratch.f64('box.py', count);
  for (let t = 0; t < count; t++) {
    const i = indices[from + t] as number;
    px[t] = (x[i] as number) - cx;
    py[t] = (y[i] as number) - cy;
  }
  const c1 = scratch.f64('box.c1', count);
  const c2 = scratch.f64('box.c2', count);
  const score = (theta: number): number => closeness(px, py, count, theta, c1, c2);
  // Coarse-to-fine: 5× the step over [0°, 90°), then the step around the best coarse heading.
  // The closeness score is smooth enough in θ that this finds the same optimum at ~1/3 the cost.
  const coarse = step * 5;
  let bestTheta = 0;
  let bestScore = -Infinity;
  for (let theta = 0; theta < Math.PI / 2 - 1e-9; theta += coarse) {
    const sc = score(theta);
    if (sc > bestScore) {
      bestScore = sc;
      bestTheta = theta;
    }
  }
  const centre = bestTheta;
  for (let k = -4; k <= 4; k++) {
    if (k === 0) continue;
    let theta = centre + k * step;
    if (theta < 0) theta += Math.PI / 2;
    if (theta >= Math.PI / 2) theta -= Math.PI / 2;
    const sc = score(theta);
    if (sc > bestScore) {
      bestScore = sc;
      bestTheta = theta;
    }
  }
  const cos = Math.cos(bestTheta);
  const sin = Math.sin(bestTheta);
  let min1 = Infinity;
  let max1 = -Infinity;
  let min2 = Infinity;
  let max2 = -Infinity;
  for (let t = 0; t < count; t++) {
    const u = px[t] as number;
    const v = py[t] as number;
    const a = u * cos + v * sin;
    const b = -u * sin + v * cos;
    if (a < min1) min1 = a;
    if (a > max1) max1 = a;
    if (b < min2) min2 = b;
    if (b > max2) max2 = b;
  }
  const m1 = (min1 + max1) / 2;
  const m2 = (min2 + max2) / 2;
  const e1 = max1 - min1;
  const e2 = max2 - min2;
  let yaw = e1 >= e2 ? bestTheta : bestTheta + Math.PI / 2;
  if (yaw > Math.PI / 2) yaw -= Math.PI;
  const length = Math.max(e1, e2);
  const width = Math.min(e1, e2);
  const height = count > 0 ? maxZ - minZ : 0;
  return {
    centerX: cx + m1 * cos - m2 * sin,
    centerY: cy + m1 * sin + m2 * cos,
    centerZ: count > 0 ? (minZ + maxZ) / 2 : 0,
    length,
    width,
    height,
    yaw,
    pointCount: count,
    meanIntensity: count > 0 ? sumI / count : 0,
    classHint: classHint(length, width, height),
  };
}

/** Zhang et al.'s closeness criterion of heading θ: Σ 1 / max(distance to the nearer edge, d0). */
function closeness(px: Float64Array, py: Float64Array, count: number, theta: number, c1: Float64Array, c2: Float64Array): number {
  const d0 = 0.01;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  let min1 = Infinity;
  let max1 = -Infinity;
  let min2 = Infinity;
  let max2 = -Infinity;
  for (let t = 0; t < count; t++) {
    const u = px[t] as number;
    const v = py[t] as number;
    const a = u * cos + v * sin;
    const b = -u * sin + v * cos;
    c1[t] = a;
    c2[t] = b;
    if (a < min1) min1 = a;
    if (a > max1) max1 = a;
    if (b < min2) min2 = b;
    if (b > max2) max2 = b;
  }
  let score = 0;
  for (let t = 0; t < count; t++) {
    const a = c1[t] as number;
    const b = c2[t] as number;
    const d1 = Math.min(max1 - a, a - min1);
    const d2 = Math.min(max2 - b, b - min2);
    score += 1 / Math.max(Math.min(d1, d2), d0);
  }
  return score;
}

/**
 * A geometric guess from box size alone (metres), not a classifier: typical KITTI extents are
 * car 3.9×1.6×1.5, van 5×1.9×2.2, truck 10×2.6×3.4, pedestrian 0.8×0.6×1.75, cyclist 1.8×0.6×1.7.
 */
export function classHint(length: number, width: number, height: number): ClassHint {
  if (height >= 0.9 && height <= 4.5 && length >= 2.2 && length <= 20 && width >= 1.0 && width <= 3.2) return 'vehicle';
  if (height >= 1.0 && height <= 2.2 && length <= 1.2 && width <= 1.0) return 'pedestrian';
  if (height >= 1.0 && height <= 2.2 && length > 1.2 && length <= 2.4 && width <= 1.2) return 'cyclist';
  return 'unknown';
}
