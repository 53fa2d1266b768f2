import type { PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';
import { GridIndex, float32Radius, type NeighbourCounter } from './grid-index.js';
import { KdTree } from './kdtree.js';

export interface StatisticalOutlierParams {
  /** Neighbours per point, the point itself not counted (PCL setMeanK; Autoware 50). */
  readonly meanK: number;
  /** Threshold = mean + stdMul · stddev of the per-point mean distances (PCL setStddevMulThresh; 1.0). */
  readonly stdMul: number;
}

export interface OutlierResult {
  /** 1 = inlier (kept), 0 = outlier, per input point. */
  readonly keep: Uint8Array;
  readonly removed: number;
}

/**
 * pcl::StatisticalOutlierRemoval: for each point the mean distance to its meanK nearest neighbours
 * (PCL searches meanK + 1 and skips the first result, the query point itself), then a point is an
 * outlier when that mean exceeds mean + stdMul · stddev over all points (sample stddev, n − 1).
 * Work is bounded by n · (meanK + 1) heap operations plus tree pruning: identical points stop the
 * search as soon as k zero distances are found.
 */
export function statisticalOutlierRemoval(
  cloud: PointCloud,
  params: StatisticalOutlierParams,
  tree: KdTree = new KdTree(cloud),
): OutlierResult & { readonly meanDistance: Float32Array; readonly threshold: number } {
  const { meanK, stdMul } = params;
  if (!Number.isInteger(meanK) || meanK < 1) {
    throw new InvalidPointCloudParamsError(`statistical outlier meanK must be an integer ≥ 1, got ${meanK}`);
  }
  const n = cloud.length;
  const keep = new Uint8Array(n);
  const meanDistance = new Float32Array(n);
  const k = meanK + 1;
  const idx = new Int32Array(k);
  const d2 = new Float64Array(k);
  const valid = new Uint8Array(n);
  let validCount = 0;
  let sum = 0;
  let sqSum = 0;
  // Query in tree order: consecutive queries touch the same nodes (cache-friendly).
  // Each query's k-th distance bounds the next one's (triangle inequality), which prunes the search.
  const order = tree.order;
  let px = 0;
  let py = 0;
  let pz = 0;
  let prevKth = Infinity;
  for (let t = 0; t < n; t++) {
    const i = order[t] ?? 0;
    const qx = cloud.x[i] ?? 0;
    const qy = cloud.y[i] ?? 0;
    const qz = cloud.z[i] ?? 0;
    const bound = prevKth + Math.sqrt((qx - px) ** 2 + (qy - py) ** 2 + (qz - pz) ** 2);
    const bound2 = bound < Infinity ? bound * bound * (1 + 1e-9) + 1e-12 : Infinity;
    const found = tree.knn(qx, qy, qz, k, idx, d2, bound2);
    px = qx;
    py = qy;
    pz = qz;
    prevKth = found === k ? Math.sqrt(d2[k - 1] ?? Infinity) : Infinity;
    if (found < k) continue; // PCL: too few neighbours → distance 0 and not counted as valid.
    let s = 0;
    // The nearest is the query itself (distance 0, or a duplicate at 0): skipped as in PCL.
    // Distances squared in float32 as FLANN computes them, sqrt in double.
    for (let j = 1; j < k; j++) s += Math.sqrt(Math.fround(d2[j] ?? 0));
    const md = Math.fround(s / meanK);
    meanDistance[i] = md;
    valid[i] = 1;
    validCount++;
    sum += md;
    sqSum += md * md;
  }
  if (validCount === 0) {
    keep.fill(1);
    return { keep, removed: 0, meanDistance, threshold: Infinity };
  }
  const mean = sum / validCount;
  const variance = validCount > 1 ? (sqSum - (sum * sum) / validCount) / (validCount - 1) : 0;
  const threshold = mean + stdMul * Math.sqrt(Math.max(0, variance));
  let removed = 0;
  for (let i = 0; i < n; i++) {
    if ((meanDistance[i] ?? 0) <= threshold) keep[i] = 1;
    else removed++;
  }
  return { keep, removed, meanDistance, threshold };
}

export interface RadiusOutlierParams {
  /** Search radius, metres. */
  readonly radius: number;
  /** A point is kept when at least this many other points lie within radius (PCL setMinNeighborsInRadius). */
  readonly minNeighbors: number;
}

/**
 * pcl::RadiusOutlierRemoval: a point is an inlier when the points within `radius` (distance ≤ r),
 * the query point included, number at least minNeighbors + 1. Counting stops at that number, so the
 * cost per point is bounded even when 200k points sit on top of each other.
 */
export function radiusOutlierRemoval(
  cloud: PointCloud,
  params: RadiusOutlierParams,
  index?: NeighbourCounter,
): OutlierResult {
  const { radius, minNeighbors } = params;
  if (!(radius > 0)) throw new InvalidPointCloudParamsError(`radius outlier radius must be > 0, got ${radius}`);
  const n = cloud.length;
  const keep = new Uint8Array(n);
  const need = minNeighbors + 1;
  // FLANN compares squared float32 distances against radius² in float32.
  const r = float32Radius(radius);
  const counter = index ?? GridIndex.build(cloud, r) ?? new KdTree(cloud);
  let removed = 0;
  for (let i = 0; i < n; i++) {
    if (counter.countNear(i, r, need) >= need) keep[i] = 1;
    else removed++;
  }
  return { keep, removed };
}
