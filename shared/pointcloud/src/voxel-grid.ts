import { createCloud, withLength, type PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';

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

interface Scratch {
  table: Int32Array;
  sx: Float64Array;
  sy: Float64Array;
  sz: Float64Array;
  si: Float64Array;
  cnt: Uint32Array;
}

/**
 * Hash table and per-voxel sums reused between sweeps: ~6 MB per 120k-point sweep that would otherwise
 * be garbage (and GC pauses in the chain's p99). Only this module touches them, synchronously.
 */
let scratch: Scratch | null = null;
function scratchFor(tableInts: number, voxels: number): Scratch {
  if (!scratch || scratch.table.length < tableInts || scratch.sx.length < voxels) {
    const t = Math.max(tableInts, scratch?.table.length ?? 0);
    const v = Math.max(voxels, scratch?.sx.length ?? 0);
    scratch = {
      table: new Int32Array(t),
      sx: new Float64Array(v),
      sy: new Float64Array(v),
      sz: new Float64Array(v),
      si: new Float64Array(v),
      cnt: new Uint32Array(v),
    };
  }
  return scratch;
}

/**
 * Voxel-grid downsampling with PCL's anchoring (pcl::VoxelGrid, filters/src/voxel_grid.cpp): the
 * voxel of a point is floor(p · (1/leaf)) computed in float32 exactly as PCL does, indexed relative
 * to floor(min · (1/leaf)); one centroid per occupied voxel. The same 32-bit overflow guard applies.
 */
export function voxelGrid(cloud: PointCloud, params: VoxelGridParams): VoxelGridResult {
  const { leafX, leafY, leafZ } = params;
  if (!(leafX > 0 && leafY > 0 && leafZ > 0)) {
    throw new InvalidPointCloudParamsError(`voxel leaf sizes must be > 0, got ${leafX}, ${leafY}, ${leafZ}`);
  }
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
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const px = x[i] ?? Number.NaN;
    const py = y[i] ?? Number.NaN;
    const pz = z[i] ?? Number.NaN;
    if (!(px - px === 0 && py - py === 0 && pz - pz === 0)) continue;
    finite++;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
    if (pz < minZ) minZ = pz;
    if (pz > maxZ) maxZ = pz;
  }
  const voxelOfPoint = new Int32Array(n).fill(-1);
  if (finite === 0) {
    return { cloud: withLength(createCloud(0), 0), pointsPerVoxel: new Uint32Array(0), voxelOfPoint, indexOverflow: false };
  }
  const dx = Math.trunc(f(f(maxX - minX) * invX)) + 1;
  const dy = Math.trunc(f(f(maxY - minY) * invY)) + 1;
  const dz = Math.trunc(f(f(maxZ - minZ) * invZ)) + 1;
  if (dx * dy * dz > INT32_MAX) {
    const copy = createCloud(n);
    copy.x.set(x.subarray(0, n));
    copy.y.set(y.subarray(0, n));
    copy.z.set(z.subarray(0, n));
    copy.intensity.set(intensity.subarray(0, n));
    for (let i = 0; i < n; i++) voxelOfPoint[i] = i;
    return { cloud: copy, pointsPerVoxel: new Uint32Array(n).fill(1), voxelOfPoint, indexOverflow: true };
  }
  const minBX = Math.floor(f(minX * invX));
  const minBY = Math.floor(f(minY * invY));
  const minBZ = Math.floor(f(minZ * invZ));
  const divX = Math.floor(f(maxX * invX)) - minBX + 1;
  const divY = Math.floor(f(maxY * invY)) - minBY + 1;
  const divXY = divX * divY;

  // Open-addressing hash of the linear voxel index (< 2^31 by the guard above) → output slot.
  // Fibonacci hashing (top bits of idx · 2^32/φ), linear probing over interleaved [key, slot].
  let bits = 4;
  while (1 << bits < finite * 2) bits++;
  const shift = 32 - bits;
  const mask = (1 << bits) - 1;
  const { table, sx, sy, sz, si, cnt } = scratchFor(2 << bits, finite);
  table.fill(-1, 0, 2 << bits);
  let voxels = 0;
  let lastIdx = -1;
  let lastSlot = 0;
  for (let i = 0; i < n; i++) {
    const px = x[i] ?? Number.NaN;
    const py = y[i] ?? Number.NaN;
    const pz = z[i] ?? Number.NaN;
    if (!(px - px === 0 && py - py === 0 && pz - pz === 0)) continue;
    const ix = Math.floor(f(px * invX)) - minBX;
    const iy = Math.floor(f(py * invY)) - minBY;
    const iz = Math.floor(f(pz * invZ)) - minBZ;
    const idx = ix + iy * divX + iz * divXY;
    let slot: number;
    if (idx === lastIdx) {
      // Sweeps arrive in scan order: consecutive returns of a ring usually share a voxel.
      slot = lastSlot;
    } else {
      let h = Math.imul(idx, 0x9e3779b1) >>> shift;
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
        // Scratch sums are reused between calls: a new voxel starts from zero here.
        sx[slot] = 0;
        sy[slot] = 0;
        sz[slot] = 0;
        si[slot] = 0;
        cnt[slot] = 0;
        break;
      }
      h = (h + 1) & mask;
      }
      lastIdx = idx;
      lastSlot = slot;
    }
    voxelOfPoint[i] = slot;
    sx[slot] = (sx[slot] ?? 0) + px;
    sy[slot] = (sy[slot] ?? 0) + py;
    sz[slot] = (sz[slot] ?? 0) + pz;
    si[slot] = (si[slot] ?? 0) + (intensity[i] ?? 0);
    cnt[slot] = (cnt[slot] ?? 0) + 1;
  }
  const minPts = Math.max(1, params.minPointsPerVoxel ?? 0);
  const remap = new Int32Array(voxels);
  let o = 0;
  for (let v = 0; v < voxels; v++) remap[v] = (cnt[v] ?? 0) >= minPts ? o++ : -1;
  const out = createCloud(o);
  const pointsPerVoxel = new Uint32Array(o);
  for (let v = 0; v < voxels; v++) {
    const t = remap[v] ?? -1;
    if (t < 0) continue;
    const c = cnt[v] ?? 1;
    out.x[t] = (sx[v] ?? 0) / c;
    out.y[t] = (sy[v] ?? 0) / c;
    out.z[t] = (sz[v] ?? 0) / c;
    out.intensity[t] = (si[v] ?? 0) / c;
    pointsPerVoxel[t] = c;
  }
  if (o !== voxels) for (let i = 0; i < n; i++) {
    const v = voxelOfPoint[i] ?? -1;
    if (v >= 0) voxelOfPoint[i] = remap[v] ?? -1;
  }
  return { cloud: out, pointsPerVoxel, voxelOfPoint, indexOverflow: false };
}
