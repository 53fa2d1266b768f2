import { createCloud, sourceOfCloud, withLength, type Float32Source, type PointCloud } from './cloud.js';

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

/** Bounding box of the kept points (±Infinity when none), so the voxel grid needs no extra pass. */
export interface Bounds {
  minX: number;
  minY: number;
  minZ: number;
  maxX: number;
  maxY: number;
  maxZ: number;
}

/**
 * One pass over the sweep: drop NaN/Inf coordinates, zero returns (exactly 0,0,0 or closer than
 * minRange), points beyond maxRange, outside the crop box, inside the ego box. Non-finite intensity
 * becomes 0. O(n), so an all-zero or all-NaN sweep costs the same as a real one and yields length 0.
 */
export function prefilter(cloud: PointCloud, params: PrefilterParams): { cloud: PointCloud; stats: PrefilterStats; bounds: Bounds } {
  return prefilterInto(sourceOfCloud(cloud), params, createCloud(cloud.length));
}

/** prefilter reading any Float32Source and writing into `out` (capacity ≥ source.count). */
export function prefilterInto(
  src: Float32Source,
  params: PrefilterParams,
  out: PointCloud,
): { cloud: PointCloud; stats: PrefilterStats; bounds: Bounds } {
  const n = src.count;
  const { stride, x, y, z, ox, oy, oz, oi } = src;
  const it = src.intensity;
  const minR2 = params.minRange * params.minRange;
  const maxR2 = params.maxRange * params.maxRange;
  const crop = params.cropBox;
  const ego = params.egoBox;
  // Boxes as plain numbers (±Infinity for "none") so the loop has no null checks.
  const cx0 = crop ? crop.minX : -Infinity;
  const cx1 = crop ? crop.maxX : Infinity;
  const cy0 = crop ? crop.minY : -Infinity;
  const cy1 = crop ? crop.maxY : Infinity;
  const cz0 = crop ? crop.minZ : -Infinity;
  const cz1 = crop ? crop.maxZ : Infinity;
  const ex0 = ego ? ego.minX : Infinity;
  const ex1 = ego ? ego.maxX : -Infinity;
  const ey0 = ego ? ego.minY : Infinity;
  const ey1 = ego ? ego.maxY : -Infinity;
  const ez0 = ego ? ego.minZ : Infinity;
  const ez1 = ego ? ego.maxZ : -Infinity;
  const outX = out.x;
  const outY = out.y;
  const outZ = out.z;
  const outI = out.intensity;
  let invalid = 0;
  let outOfRange = 0;
  let cropped = 0;
  let egoCount = 0;
  let o = 0;
  let minX = Infinity;
  let minY = Infinity;
  let minZ = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let maxZ = -Infinity;
  for (let i = 0, b = 0; i < n; i++, b += stride) {
    const px = x[b + ox] as number;
    const py = y[b + oy] as number;
    const pz = z[b + oz] as number;
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
    if (px < cx0 || px > cx1 || py < cy0 || py > cy1 || pz < cz0 || pz > cz1) {
      cropped++;
      continue;
    }
    if (px >= ex0 && px <= ex1 && py >= ey0 && py <= ey1 && pz >= ez0 && pz <= ez1) {
      egoCount++;
      continue;
    }
    outX[o] = px;
    outY[o] = py;
    outZ[o] = pz;
    const v = it ? (it[b + oi] as number) : 0;
    outI[o] = v - v === 0 ? v : 0;
    o++;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
    if (pz < minZ) minZ = pz;
    if (pz > maxZ) maxZ = pz;
  }
  return {
    cloud: withLength(out, o),
    stats: { input: n, invalid, outOfRange, cropped, ego: egoCount, output: o },
    bounds: { minX, minY, minZ, maxX, maxY, maxZ },
  };
}
