import { createCloud, withLength, type Float32Source, type PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';
import type { Bounds, PrefilterParams, PrefilterStats } from './filters.js';
import { Scratch } from './scratch.js';

export interface VoxelGridParams {
  /** Leaf size per axis, metres (Autoware: 0.3, 0.3, 0.1). */
  readonly leafX: number;
  readonly leafY: number;
  readonly leafZ: number;
  /** Voxels with fewer points are dropped (PCL's setMinimumPointsNumberPerVoxel; 0 or 1 keeps all). */
  readonly minPointsPerVoxel?: number;
}

export interface VoxelGridResult {
  /** One point per occupied voxel: the centroid of x, y, z and the mean intensity. */
  readonly cloud: PointCloud;
  /** Points that fell into each output voxel. */
  readonly pointsPerVoxel: Uint32Array;
  /** For each input point, its output voxel (-1 when dropped: non-finite or under minPointsPerVoxel). */
  readonly voxelOfPoint: Int32Array;
  /**
   * PCL refuses leaf sizes whose grid would overflow a 32-bit index and returns the input unchanged;
   * this does the same and says so here.
   */
  readonly indexOverflow: boolean;
}

const INT32_MAX = 2147483647;

/**
 * Hash-table size hint: the previous sweep's voxel count. Sweeps of one sensor are alike, so the table
 * starts near the right size (a table sized for the point count is 4–8× larger and spills the cache).
 * Only the table size depends on it, never the result.
 */
let lastVoxelCount = 0;

export interface VoxelGridOptions {
  /** Bounding box of the finite points when the caller already has it (prefilterInto does). */
  readonly bounds?: Bounds;
  /** Buffers reused between calls (the chain's). */
  readonly scratch?: Scratch;
  /** Output cloud to fill (capacity ≥ points); default a new one. */
  readonly out?: PointCloud;
  /** Skip voxelOfPoint (the chain does not need it): the result's voxelOfPoint is then empty. */
  readonly voxelOfPoint?: 'compute' | 'skip';
}

/**
 * Table position of voxel (ix, iy, iz) ≥ 0 in a table of 2^(32 − shift) entries: a 4 × 4 × 2 block
 * of voxels shares one run of 32 entries (four cache lines), placed by Fibonacci hashing of the
 * block's coordinates. Any function of the voxel would give the same result (the table only maps a
 * voxel to its slot, slots are numbered in order of first appearance); this one is cache-friendly.
 */
function blockHash(ix: number, iy: number, iz: number, shift: number): number {
  const block = (ix >>> 2) ^ Math.imul(iy >>> 2, 0x85ebca6b) ^ Math.imul(iz >>> 1, 0xc2b2ae35);
  return ((Math.imul(block, 0x9e3779b1) >>> (shift + 5)) << 5) | (ix & 3) | ((iy & 3) << 2) | ((iz & 1) << 4);
}

/**
 * Voxel-grid downsampling with PCL's anchoring (pcl::VoxelGrid, filters/src/voxel_grid.cpp): the
 * voxel of a point is floor(p · (1/leaf)) computed in float32 exactly as PCL does, indexed relative
 * to floor(min · (1/leaf)); one centroid per occupied voxel. The same 32-bit overflow guard applies.
 */
export function voxelGrid(cloud: PointCloud, params: VoxelGridParams, options: VoxelGridOptions = {}): VoxelGridResult {
  const { leafX, leafY, leafZ } = params;
  if (!(leafX > 0 && leafY > 0 && leafZ > 0)) {
    throw new InvalidPointCloudParamsError(`voxel leaf sizes must be > 0, got ${leafX}, ${leafY}, ${leafZ}`);
  }
  const scratch = options.scratch ?? new Scratch();
  const wantVoxelOfPoint = options.voxelOfPoint !== 'skip';
  const f = Math.fround;
  const n = cloud.length;
  const { x, y, z, intensity } = cloud;
  const invX = f(1 / f(leafX));
  const invY = f(1 / f(leafY));
  const invZ = f(1 / f(leafZ));
  let minX = Infinity;
  let minY = Infinity;
  let minZ = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let maxZ = -Infinity;
  let allFinite = false;
  let finite = 0;
  if (options.bounds) {
    ({ minX, minY, minZ, maxX, maxY, maxZ } = options.bounds);
    allFinite = true;
    finite = n;
  } else {
    for (let i = 0; i < n; i++) {
      const px = x[i] as number;
      const py = y[i] as number;
      const pz = z[i] as number;
      if (!(px - px === 0 && py - py === 0 && pz - pz === 0)) continue;
      finite++;
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
      if (pz < minZ) minZ = pz;
      if (pz > maxZ) maxZ = pz;
    }
    allFinite = finite === n;
  }
  const voxelOfPoint = wantVoxelOfPoint ? new Int32Array(n).fill(-1) : new Int32Array(0);
  if (finite === 0) {
    return { cloud: withLength(options.out ?? createCloud(0), 0), pointsPerVoxel: new Uint32Array(0), voxelOfPoint, indexOverflow: false };
  }
  const dx = Math.trunc(f(f(maxX - minX) * invX)) + 1;
  const dy = Math.trunc(f(f(maxY - minY) * invY)) + 1;
  const dz = Math.trunc(f(f(maxZ - minZ) * invZ)) + 1;
  if (dx * dy * dz > INT32_MAX) {
    const copy = options.out ?? createCloud(n);
    copy.x.set(x.subarray(0, n));
    copy.y.set(y.subarray(0, n));
    copy.z.set(z.subarray(0, n));
    copy.intensity.set(intensity.subarray(0, n));
    if (wantVoxelOfPoint) for (let i = 0; i < n; i++) voxelOfPoint[i] = i;
    return { cloud: withLength(copy, n), pointsPerVoxel: new Uint32Array(n).fill(1), voxelOfPoint, indexOverflow: true };
  }
  const minBX = Math.floor(f(minX * invX));
  const minBY = Math.floor(f(minY * invY));
  const minBZ = Math.floor(f(minZ * invZ));
  const divX = Math.floor(f(maxX * invX)) - minBX + 1;
  const divY = Math.floor(f(maxY * invY)) - minBY + 1;
  const divXY = divX * divY;

  // Open-addressing hash of the linear voxel index (< 2^31 by the guard above) → output slot:
  // linear probing over interleaved [key, slot], load factor ≤ 1/2, doubled (and rehashed from
  // keyOfSlot) when the sweep has more voxels than hinted. The hash keeps neighbours together
  // (blockHash), so the next voxel along a ring is mostly in a cache line already loaded.
  let bits = 10;
  const hint = Math.min(finite, Math.max(1024, lastVoxelCount * 1.25));
  while (1 << bits < hint * 2) bits++;
  let table = scratch.i32('voxel.table', 2 << bits);
  table.fill(-1);
  let shift = 32 - bits;
  let mask = (1 << bits) - 1;
  let limit = 1 << (bits - 1);
  const keyOfSlot = scratch.i32('voxel.keys', finite);
  const sx = scratch.f64('voxel.sx', finite);
  const sy = scratch.f64('voxel.sy', finite);
  const sz = scratch.f64('voxel.sz', finite);
  const si = scratch.f64('voxel.si', finite);
  const cnt = scratch.u32('voxel.cnt', finite);
  let voxels = 0;
  let lastIdx = -1;
  let lastSlot = 0;
  for (let i = 0; i < n; i++) {
    const px = x[i] as number;
    const py = y[i] as number;
    const pz = z[i] as number;
    if (!allFinite && !(px - px === 0 && py - py === 0 && pz - pz === 0)) continue;
    // Voxel indices relative to the minimum: exact integers in [0, div) (< 2^31 by the guard above).
    const ix = (Math.floor(f(px * invX)) - minBX) | 0;
    const iy = (Math.floor(f(py * invY)) - minBY) | 0;
    const iz = (Math.floor(f(pz * invZ)) - minBZ) | 0;
    const idx = ix + iy * divX + iz * divXY;
    let slot: number;
    if (idx === lastIdx) {
      // Sweeps arrive in scan order: consecutive returns of a ring usually share a voxel.
      slot = lastSlot;
    } else {
      let h = blockHash(ix, iy, iz, shift);
      for (;;) {
        const k = table[2 * h] as number;
        if (k === idx) {
          slot = table[2 * h + 1] as number;
          break;
        }
        if (k === -1) {
          table[2 * h] = idx;
          slot = voxels++;
          table[2 * h + 1] = slot;
          keyOfSlot[slot] = idx;
          // Scratch sums are reused between calls: a new voxel starts from zero here.
          sx[slot] = 0;
          sy[slot] = 0;
          sz[slot] = 0;
          si[slot] = 0;
          cnt[slot] = 0;
          if (voxels > limit) {
            bits++;
            shift = 32 - bits;
            mask = (1 << bits) - 1;
            limit = 1 << (bits - 1);
            table = scratch.i32('voxel.table', 2 << bits);
            table.fill(-1);
            for (let v = 0; v < voxels; v++) {
              const key = keyOfSlot[v] as number;
              const kz = Math.floor(key / divXY);
              const kxy = key - kz * divXY;
              const ky = Math.floor(kxy / divX);
              let g = blockHash(kxy - ky * divX, ky, kz, shift);
              while ((table[2 * g] as number) !== -1) g = (g + 1) & mask;
              table[2 * g] = key;
              table[2 * g + 1] = v;
            }
          }
          break;
        }
        h = (h + 1) & mask;
      }
      lastIdx = idx;
      lastSlot = slot;
    }
    if (wantVoxelOfPoint) voxelOfPoint[i] = slot;
    sx[slot] = (sx[slot] as number) + px;
    sy[slot] = (sy[slot] as number) + py;
    sz[slot] = (sz[slot] as number) + pz;
    si[slot] = (si[slot] as number) + (intensity[i] as number);
    cnt[slot] = (cnt[slot] as number) + 1;
  }
  lastVoxelCount = voxels;
  const minPts = Math.max(1, params.minPointsPerVoxel ?? 0);
  const remap = scratch.i32('voxel.remap', voxels);
  let o = 0;
  for (let v = 0; v < voxels; v++) remap[v] = (cnt[v] as number) >= minPts ? o++ : -1;
  const out = options.out ?? createCloud(o);
  const pointsPerVoxel = new Uint32Array(o);
  for (let v = 0; v < voxels; v++) {
    const t = remap[v] as number;
    if (t < 0) continue;
    const c = cnt[v] as number;
    out.x[t] = (sx[v] as number) / c;
    out.y[t] = (sy[v] as number) / c;
    out.z[t] = (sz[v] as number) / c;
    out.intensity[t] = (si[v] as number) / c;
    pointsPerVoxel[t] = c;
  }
  if (wantVoxelOfPoint && o !== voxels) {
    for (let i = 0; i < n; i++) {
      const v = voxelOfPoint[i] as number;
      if (v >= 0) voxelOfPoint[i] = remap[v] as number;
    }
  }
  return { cloud: withLength(out, o), pointsPerVoxel, voxelOfPoint, indexOverflow: false };
}

/**
 * prefilterInto followed by voxelGrid (with its bounds, voxelOfPoint skipped) in one pass over the
 * sweep, with exactly their result: the kept points are never written out and read back. A voxel
 * is the same integer triple floor(p · (1/leaf)) in float32; only its hash key is anchored
 * differently (at the crop box / range limits, known before the pass, instead of the kept points'
 * minimum), which changes no grouping, order (first appearance) or sum. Returns null — the caller
 * then runs the two steps — when that anchoring cannot hold every kept point in a 31-bit key
 * (no crop box and no finite range, tiny leaves), when PCL's overflow guard trips on the kept
 * points' bounds (the guard passes the cloud through), or with minPointsPerVoxel > 1.
 */
export function prefilterVoxelGrid(
  src: Float32Source,
  pre: PrefilterParams,
  params: VoxelGridParams,
  scratch: Scratch,
  out: PointCloud,
): { stats: PrefilterStats; voxels: PointCloud } | null {
  const { leafX, leafY, leafZ } = params;
  if (!(leafX > 0 && leafY > 0 && leafZ > 0)) {
    throw new InvalidPointCloudParamsError(`voxel leaf sizes must be > 0, got ${leafX}, ${leafY}, ${leafZ}`);
  }
  if ((params.minPointsPerVoxel ?? 0) > 1) return null;
  const f = Math.fround;
  const invX = f(1 / f(leafX));
  const invY = f(1 / f(leafY));
  const invZ = f(1 / f(leafZ));
  const crop = pre.cropBox;
  const R = pre.maxRange;
  // Every kept point lies within the crop box and within maxRange of the sensor on each axis.
  const loX = Math.max(crop ? crop.minX : -Infinity, -R);
  const hiX = Math.min(crop ? crop.maxX : Infinity, R);
  const loY = Math.max(crop ? crop.minY : -Infinity, -R);
  const hiY = Math.min(crop ? crop.maxY : Infinity, R);
  const loZ = Math.max(crop ? crop.minZ : -Infinity, -R);
  const hiZ = Math.min(crop ? crop.maxZ : Infinity, R);
  if (!(Number.isFinite(loX) && Number.isFinite(hiX) && Number.isFinite(loY) && Number.isFinite(hiY) && Number.isFinite(loZ) && Number.isFinite(hiZ))) return null;
  // One voxel of margin on each side (float32 rounding at the limits).
  const ax = Math.floor(f(f(loX) * invX)) - 1;
  const ay = Math.floor(f(f(loY) * invY)) - 1;
  const az = Math.floor(f(f(loZ) * invZ)) - 1;
  const DX = Math.floor(f(f(hiX) * invX)) - ax + 2;
  const DY = Math.floor(f(f(hiY) * invY)) - ay + 2;
  const DZ = Math.floor(f(f(hiZ) * invZ)) - az + 2;
  if (!(DX > 0 && DY > 0 && DZ > 0) || DX * DY * DZ > INT32_MAX) return null;
  const DXY = DX * DY;

  const n = src.count;
  const { stride, x, y, z, ox, oy, oz, oi } = src;
  const it = src.intensity;
  const minR2 = pre.minRange * pre.minRange;
  const maxR2 = pre.maxRange * pre.maxRange;
  const cx0 = crop ? crop.minX : -Infinity;
  const cx1 = crop ? crop.maxX : Infinity;
  const cy0 = crop ? crop.minY : -Infinity;
  const cy1 = crop ? crop.maxY : Infinity;
  const cz0 = crop ? crop.minZ : -Infinity;
  const cz1 = crop ? crop.maxZ : Infinity;
  const ego = pre.egoBox;
  const ex0 = ego ? ego.minX : Infinity;
  const ex1 = ego ? ego.maxX : -Infinity;
  const ey0 = ego ? ego.minY : Infinity;
  const ey1 = ego ? ego.maxY : -Infinity;
  const ez0 = ego ? ego.minZ : Infinity;
  const ez1 = ego ? ego.maxZ : -Infinity;

  let bits = 10;
  const hint = Math.min(Math.max(1, n), Math.max(1024, lastVoxelCount * 1.25));
  while (1 << bits < hint * 2) bits++;
  let table = scratch.i32('voxel.table', 2 << bits);
  table.fill(-1);
  let shift = 32 - bits;
  let mask = (1 << bits) - 1;
  let limit = 1 << (bits - 1);
  const keyOfSlot = scratch.i32('voxel.keys', n);
  const sx = scratch.f64('voxel.sx', n);
  const sy = scratch.f64('voxel.sy', n);
  const sz = scratch.f64('voxel.sz', n);
  const si = scratch.f64('voxel.si', n);
  const cnt = scratch.u32('voxel.cnt', n);
  let voxels = 0;
  let lastIdx = -1;
  let lastSlot = 0;
  let invalid = 0;
  let outOfRange = 0;
  let cropped = 0;
  let egoCount = 0;
  let kept = 0;
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
    // The tests of prefilterInto, in its order (they decide which count a dropped point adds to).
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
    kept++;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
    if (pz < minZ) minZ = pz;
    if (pz > maxZ) maxZ = pz;
    const v = it ? (it[b + oi] as number) : 0;
    const ix = (Math.floor(f(px * invX)) - ax) | 0;
    const iy = (Math.floor(f(py * invY)) - ay) | 0;
    const iz = (Math.floor(f(pz * invZ)) - az) | 0;
    const idx = ix + iy * DX + iz * DXY;
    let slot: number;
    if (idx === lastIdx) {
      slot = lastSlot;
    } else {
      let h = blockHash(ix, iy, iz, shift);
      for (;;) {
        const k = table[2 * h] as number;
        if (k === idx) {
          slot = table[2 * h + 1] as number;
          break;
        }
        if (k === -1) {
          table[2 * h] = idx;
          slot = voxels++;
          table[2 * h + 1] = slot;
          keyOfSlot[slot] = idx;
          sx[slot] = 0;
          sy[slot] = 0;
          sz[slot] = 0;
          si[slot] = 0;
          cnt[slot] = 0;
          if (voxels > limit) {
            bits++;
            shift = 32 - bits;
            mask = (1 << bits) - 1;
            limit = 1 << (bits - 1);
            table = scratch.i32('voxel.table', 2 << bits);
            table.fill(-1);
            for (let w = 0; w < voxels; w++) {
              const key = keyOfSlot[w] as number;
              const kz = Math.floor(key / DXY);
              const kxy = key - kz * DXY;
              const ky = Math.floor(kxy / DX);
              let g = blockHash(kxy - ky * DX, ky, kz, shift);
              while ((table[2 * g] as number) !== -1) g = (g + 1) & mask;
              table[2 * g] = key;
              table[2 * g + 1] = w;
            }
          }
          break;
        }
        h = (h + 1) & mask;
      }
      lastIdx = idx;
      lastSlot = slot;
    }
    sx[slot] = (sx[slot] as number) + px;
    sy[slot] = (sy[slot] as number) + py;
    sz[slot] = (sz[slot] as number) + pz;
    // prefilterInto stores a non-finite intensity as 0.
    si[slot] = (si[slot] as number) + (v - v === 0 ? v : 0);
    cnt[slot] = (cnt[slot] as number) + 1;
  }
  // PCL's guard on the kept points' own bounds, as voxelGrid computes it: when it trips, the
  // two-step path passes the cloud through as PCL does.
  if (kept > 0) {
    const gx = Math.trunc(f(f(maxX - minX) * invX)) + 1;
    const gy = Math.trunc(f(f(maxY - minY) * invY)) + 1;
    const gz = Math.trunc(f(f(maxZ - minZ) * invZ)) + 1;
    if (gx * gy * gz > INT32_MAX) return null;
  }
  lastVoxelCount = voxels;
  for (let s = 0; s < voxels; s++) {
    const c = cnt[s] as number;
    out.x[s] = (sx[s] as number) / c;
    out.y[s] = (sy[s] as number) / c;
    out.z[s] = (sz[s] as number) / c;
    out.intensity[s] = (si[s] as number) / c;
  }
  return { stats: { input: n, invalid, outOfRange, cropped, ego: egoCount, output: kept }, voxels: withLength(out, voxels) };
}
