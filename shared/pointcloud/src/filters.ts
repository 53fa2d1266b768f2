import { createCloud, withLength, type PointCloud } from './cloud.js';

/** An axis-aligned box in the sensor frame, metres. */
export interface Box3 {
  readonly minX: number;
  readonly minY: number;
  readonly minZ: number;
  readonly maxX: number;
  readonly maxY: number;
  readonly maxZ: number;
}

export interface PrefilterParams {
  /** Points closer than this are dropped (zero returns, the sensor's own housing). Default 0.5 m. */
  readonly minRange: number;
  /** Points farther than this are dropped. Default 80 m. */
  readonly maxRange: number;
  /** Keep only points inside this box (null = no crop). */
  readonly cropBox: Box3 | null;
  /** Drop points inside this box: the ego vehicle's body (null = none). */
  readonly egoBox: Box3 | null;
}

export interface PrefilterStats {
  readonly input: number;
  readonly invalid: number;
  readonly outOfRange: number;
  readonly cropped: number;
  readonly ego: number;
  readonly output: number;
}

/**
 * One pass over the sweep: drop NaN/Inf coordinates, zero returns (exactly 0,0,0 or closer than
 * minRange), points beyond maxRange, outside the crop box, inside the ego box. Non-finite intensity
 * becomes 0. O(n), so an all-zero or all-NaN sweep costs the same as a real one and yields length 0.
 */
export function prefilter(cloud: PointCloud, params: PrefilterParams): { cloud: PointCloud; stats: PrefilterStats } {
  const n = cloud.length;
  const out = createCloud(n);
  const { x, y, z, intensity } = cloud;
  const minR2 = params.minRange * params.minRange;
  const maxR2 = params.maxRange * params.maxRange;
  const crop = params.cropBox;
  const ego = params.egoBox;
  let invalid = 0;
  let outOfRange = 0;
  let cropped = 0;
  let egoCount = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const px = x[i] ?? Number.NaN;
    const py = y[i] ?? Number.NaN;
    const pz = z[i] ?? Number.NaN;
    // Finite check written as comparisons so it is fast and also catches NaN.
    if (!(px - px === 0 && py - py === 0 && pz - pz === 0) || (px === 0 && py === 0 && pz === 0)) {
      invalid++;
      continue;
    }
    const r2 = px * px + py * py + pz * pz;
    if (r2 < minR2 || r2 > maxR2) {
      outOfRange++;
      continue;
    }
    if (crop && (px < crop.minX || px > crop.maxX || py < crop.minY || py > crop.maxY || pz < crop.minZ || pz > crop.maxZ)) {
      cropped++;
      continue;
    }
    if (ego && px >= ego.minX && px <= ego.maxX && py >= ego.minY && py <= ego.maxY && pz >= ego.minZ && pz <= ego.maxZ) {
      egoCount++;
      continue;
    }
    out.x[o] = px;
    out.y[o] = py;
    out.z[o] = pz;
    const it = intensity[i] ?? 0;
    out.intensity[o] = it - it === 0 ? it : 0;
    o++;
  }
  return {
    cloud: withLength(out, o),
    stats: { input: n, invalid, outOfRange, cropped, ego: egoCount, output: o },
  };
}
