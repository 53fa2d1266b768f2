import { seededRandom } from '@sensorfuse/random';
import type { PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';

export interface PlaneRansacParams {
  /** Inlier distance to the plane, metres (pcl_sac_segmentation_plane -thresh). */
  readonly distanceThreshold: number;
  /** Upper bound on RANSAC iterations (PCL -max_it, default 1000). */
  readonly maxIterations: number;
  /** Stop early once this confidence of having drawn an all-inlier sample is reached (PCL: 0.99). */
  readonly probability?: number;
  /** Seed of the deterministic sampler. */
  readonly seed?: number;
}

/** Plane a·x + b·y + c·z + d = 0 with (a, b, c) a unit normal, c ≥ 0 (pointing up). */
export interface Plane {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

export interface PlaneFit {
  readonly plane: Plane | null;
  /** 1 = inlier. */
  readonly inliers: Uint8Array;
  readonly inlierCount: number;
  readonly iterations: number;
}

/** The RANSAC sampler's seeded uniform [0, 1) source (mulberry32, `seededRandom` of @sensorfuse/random). */
export function makeRng(seed: number): () => number {
  return seededRandom(seed);
}

function normalise(a: number, b: number, c: number, d: number): Plane | null {
  const len = Math.hypot(a, b, c);
  if (!(len > 1e-12)) return null;
  const s = c < 0 ? -1 / len : 1 / len;
  return { a: a * s, b: b * s, c: c * s, d: d * s };
}

/** Least-squares plane through the marked points: the smallest eigenvector of their covariance. */
export function fitPlaneLeastSquares(cloud: PointCloud, mask: Uint8Array | null): Plane | null {
  let n = 0;
  let mx = 0;
  let my = 0;
  let mz = 0;
  for (let i = 0; i < cloud.length; i++) {
    if (mask && mask[i] !== 1) continue;
    n++;
    mx += cloud.x[i] ?? 0;
    my += cloud.y[i] ?? 0;
    mz += cloud.z[i] ?? 0;
  }
  if (n < 3) return null;
  mx /= n;
  my /= n;
  mz /= n;
  let xx = 0;
  let xy = 0;
  let xz = 0;
  let yy = 0;
  let yz = 0;
  let zz = 0;
  for (let i = 0; i < cloud.length; i++) {
    if (mask && mask[i] !== 1) continue;
    const dx = (cloud.x[i] ?? 0) - mx;
    const dy = (cloud.y[i] ?? 0) - my;
    const dz = (cloud.z[i] ?? 0) - mz;
    xx += dx * dx;
    xy += dx * dy;
    xz += dx * dz;
    yy += dy * dy;
    yz += dy * dz;
    zz += dz * dz;
  }
  const normal = smallestEigenvector([xx, xy, xz, yy, yz, zz]);
  if (!normal) return null;
  const [a, b, c] = normal;
  return normalise(a, b, c, -(a * mx + b * my + c * mz));
}

/** Smallest eigenvector of a symmetric 3×3 [xx, xy, xz, yy, yz, zz] by Jacobi rotations. */
export function smallestEigenvector(m: readonly number[]): [number, number, number] | null {
  const A = [
    [m[0] ?? 0, m[1] ?? 0, m[2] ?? 0],
    [m[1] ?? 0, m[3] ?? 0, m[4] ?? 0],
    [m[2] ?? 0, m[4] ?? 0, m[5] ?? 0],
  ];
  const V = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const at = (r: number[][], i: number, j: number): number => r[i]?.[j] ?? 0;
  const set = (r: number[][], i: number, j: number, v: number): void => {
    const row = r[i];
    if (row) row[j] = v;
  };
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(at(A, 0, 1)) + Math.abs(at(A, 0, 2)) + Math.abs(at(A, 1, 2));
    if (off < 1e-15) break;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        const apq = at(A, p, q);
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (at(A, q, q) - at(A, p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 3; k++) {
          const akp = at(A, k, p);
          const akq = at(A, k, q);
          set(A, k, p, c * akp - s * akq);
          set(A, k, q, s * akp + c * akq);
        }
        for (let k = 0; k < 3; k++) {
          const apk = at(A, p, k);
          const aqk = at(A, q, k);
          set(A, p, k, c * apk - s * aqk);
          set(A, q, k, s * apk + c * aqk);
        }
        for (let k = 0; k < 3; k++) {
          const vkp = at(V, k, p);
          const vkq = at(V, k, q);
          set(V, k, p, c * vkp - s * vkq);
          set(V, k, q, s * vkp + c * vkq);
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 3; i++) if (at(A, i, i) < at(A, best, best)) best = i;
  const v: [number, number, number] = [at(V, 0, best), at(V, 1, best), at(V, 2, best)];
  return Number.isFinite(v[0] + v[1] + v[2]) ? v : null;
}

/**
 * RANSAC plane as pcl::SACSegmentation with SACMODEL_PLANE / SAC_RANSAC and optimised coefficients:
 * random 3-point hypotheses, adaptive iteration count k = log(1 − p) / log(1 − w³), best inlier
 * count wins, then a least-squares refit on the inliers and the inlier set recomputed.
 */
export function fitPlaneRansac(cloud: PointCloud, params: PlaneRansacParams): PlaneFit {
  const { distanceThreshold: th, maxIterations } = params;
  if (!(th > 0)) throw new InvalidPointCloudParamsError(`plane distance threshold must be > 0, got ${th}`);
  const n = cloud.length;
  const inliers = new Uint8Array(n);
  if (n < 3) return { plane: null, inliers, inlierCount: 0, iterations: 0 };
  const rng = makeRng(params.seed ?? 12345);
  const p = params.probability ?? 0.99;
  const { x, y, z } = cloud;
  let best: Plane | null = null;
  let bestCount = -1;
  let needed = maxIterations;
  let it = 0;
  let skipped = 0;
  while (it < needed && it < maxIterations && skipped < maxIterations * 10) {
    const i0 = Math.floor(rng() * n);
    const i1 = Math.floor(rng() * n);
    const i2 = Math.floor(rng() * n);
    const ax = (x[i1] ?? 0) - (x[i0] ?? 0);
    const ay = (y[i1] ?? 0) - (y[i0] ?? 0);
    const az = (z[i1] ?? 0) - (z[i0] ?? 0);
    const bx = (x[i2] ?? 0) - (x[i0] ?? 0);
    const by = (y[i2] ?? 0) - (y[i0] ?? 0);
    const bz = (z[i2] ?? 0) - (z[i0] ?? 0);
    const plane = normalise(ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx, 0);
    if (!plane) {
      skipped++; // degenerate sample (collinear or repeated points)
      continue;
    }
    const d = -(plane.a * (x[i0] ?? 0) + plane.b * (y[i0] ?? 0) + plane.c * (z[i0] ?? 0));
    let count = 0;
    for (let i = 0; i < n; i++) {
      const dist = plane.a * (x[i] ?? 0) + plane.b * (y[i] ?? 0) + plane.c * (z[i] ?? 0) + d;
      if (dist <= th && dist >= -th) count++;
    }
    it++;
    if (count > bestCount) {
      bestCount = count;
      best = { ...plane, d };
      const w = count / n;
      const pNoOutliers = Math.min(1 - Number.EPSILON, Math.max(Number.EPSILON, 1 - w * w * w));
      needed = Math.log(1 - p) / Math.log(pNoOutliers);
    }
  }
  if (!best) return { plane: null, inliers, inlierCount: 0, iterations: it };
  const mark = (pl: Plane): number => {
    let c = 0;
    for (let i = 0; i < n; i++) {
      const dist = pl.a * (x[i] ?? 0) + pl.b * (y[i] ?? 0) + pl.c * (z[i] ?? 0) + pl.d;
      const inl = dist <= th && dist >= -th ? 1 : 0;
      inliers[i] = inl;
      c += inl;
    }
    return c;
  };
  mark(best);
  const refined = fitPlaneLeastSquares(cloud, inliers);
  const plane = refined ?? best;
  const inlierCount = mark(plane);
  return { plane, inliers, inlierCount, iterations: it };
}

/** Angle between two planes' normals, degrees, ignoring orientation. */
export function planeAngleDeg(p: Plane, q: Plane): number {
  const dot = Math.abs(p.a * q.a + p.b * q.b + p.c * q.c);
  return (Math.acos(Math.min(1, dot)) * 180) / Math.PI;
}
