import type { PointCloud } from './cloud.js';
import { radixOrder } from './radix.js';
import { Scratch } from './scratch.js';

/** Counts the points near a point of the cloud the index was built on. */
export interface NeighbourCounter {
  /** Points within `radius` (≤) of point i, i itself included, counting stops at `cap`. */
  countNear(i: number, radius: number, cap: number): number;
  /** Points brighter than `intensity` (>) within `radius` (≤) of point i, counting stops at `cap`. */
  countBrighterNear(i: number, radius: number, cap: number, intensity: number): number;
}

/**
 * A search radius as FLANN applies it: radius² rounded to float32 (PCL's radius filters compare
 * squared float32 distances against it). The noise and radius filters both use it, so one grid with
 * this cell size answers both with a one-cell reach.
 */
export function float32Radius(radius: number): number {
  return Math.sqrt(Math.fround(radius * radius));
}

/** Grids above this many columns are not built (memory); callers fall back to the k-d tree. */
const MAX_COLUMNS = 8_000_000;
/** Heights are sorted within a column at this resolution (1024 steps over the cloud's z extent). */
const Z_STEPS = 1024;

/**
 * A uniform grid of vertical columns (cell × cell in x, y) over the cloud's bounding box; the points
 * of each column are stored contiguously (CSR) and sorted by height. Radius counting walks outwards
 * from the query in its own column, then scans the z window [qz − r, qz + r] of the neighbouring
 * columns, and stops at the cap, so it is bounded however many points share a column. Building costs
 * O(n + columns): one radix sort by (column, height); no per-cell table over the (mostly empty) volume.
 */
export class GridIndex implements NeighbourCounter {
  private readonly inv: number;
  private readonly dimX: number;
  private readonly dimY: number;
  /** Column c holds points xyz[start[c] .. start[c + 1]), by increasing z. */
  private readonly start: Uint32Array;
  private readonly xyz: Float32Array;
  private readonly colOf: Uint32Array;
  /** Position of each input point in the column-sorted copy. */
  private readonly posOf: Uint32Array;

  private constructor(cloud: PointCloud, cell: number, minX: number, minY: number, minZ: number, maxZ: number, dimX: number, dimY: number, scratch: Scratch) {
    this.inv = 1 / cell;
    this.dimX = dimX;
    this.dimY = dimY;
    const n = cloud.length;
    const columns = dimX * dimY;
    const { x, y, z } = cloud;
    const colOf = scratch.u32('grid.colOf', n);
    const keys = scratch.u32('grid.keys', n);
    const zScale = maxZ > minZ ? (Z_STEPS - 1) / (maxZ - minZ) : 0;
    const inv = this.inv;
    // Column keys fit 32 bits with the height: columns < 2^22 here (else no height in the key,
    // and the column is scanned in full, still correct).
    const withHeight = columns <= 4_194_304;
    for (let i = 0; i < n; i++) {
      const ix = Math.min(dimX - 1, Math.floor(((x[i] as number) - minX) * inv));
      const iy = Math.min(dimY - 1, Math.floor(((y[i] as number) - minY) * inv));
      const c = ix + dimX * iy;
      colOf[i] = c;
      keys[i] = withHeight ? c * Z_STEPS + Math.floor(((z[i] as number) - minZ) * zScale) : c;
    }
    const order = radixOrder(keys, n, scratch);
    const start = scratch.u32('grid.start', columns + 1);
    start.fill(0);
    for (let i = 0; i < n; i++) {
      const c = colOf[i] as number;
      start[c + 1] = (start[c + 1] as number) + 1;
    }
    for (let c = 0; c < columns; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number);
    const xyz = scratch.f32('grid.xyz', 3 * n);
    const posOf = scratch.u32('grid.posOf', n);
    const sortedIntensity = scratch.f32('grid.intensity', n);
    const intensity = cloud.intensity;
    for (let p = 0; p < n; p++) {
      const i = order[p] as number;
      posOf[i] = p;
      sortedIntensity[p] = intensity[i] as number;
      xyz[3 * p] = x[i] as number;
      xyz[3 * p + 1] = y[i] as number;
      xyz[3 * p + 2] = z[i] as number;
    }
    this.start = start;
    this.xyz = xyz;
    this.colOf = colOf;
    this.posOf = posOf;
    this.intensity = sortedIntensity;
    // Quantised heights order a column only to within one step: the query scans use a step of slack.
    this.zSlack = zScale > 0 ? 1 / zScale : 0;
  }

  private readonly zSlack: number;
  private readonly intensity: Float32Array;

  /**
   * A grid of the given cell size, or null when the cloud is empty or the grid would be too large.
   * With a scratch, the index lives in its buffers: valid until the next build on the same scratch.
   */
  static build(cloud: PointCloud, cell: number, scratch: Scratch = new Scratch()): GridIndex | null {
    const n = cloud.length;
    if (n === 0 || !(cell > 0)) return null;
    let minX = Infinity;
    let minY = Infinity;
    let minZ = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    let maxZ = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = cloud.x[i] as number;
      const y = cloud.y[i] as number;
      const z = cloud.z[i] as number;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (z < minZ) minZ = z;
      if (z > maxZ) maxZ = z;
    }
    const dimX = Math.floor((maxX - minX) / cell) + 1;
    const dimY = Math.floor((maxY - minY) / cell) + 1;
    if (!Number.isFinite(dimX) || !Number.isFinite(dimY) || !Number.isFinite(maxZ - minZ) || dimX * dimY > MAX_COLUMNS) return null;
    return new GridIndex(cloud, cell, minX, minY, minZ, maxZ, dimX, dimY, scratch);
  }

  countNear(i: number, radius: number, cap: number): number {
    const xyz = this.xyz;
    const start = this.start;
    const c = this.colOf[i] as number;
    const q = this.posOf[i] as number;
    const qx = xyz[3 * q] as number;
    const qy = xyz[3 * q + 1] as number;
    const qz = xyz[3 * q + 2] as number;
    const r2 = radius * radius;
    const zLo = qz - radius - this.zSlack;
    const zHi = qz + radius + this.zSlack;
    // Own column first, outwards from the query (it counts itself): dense surfaces reach the cap here.
    let count = 1;
    if (count >= cap) return cap;
    const c0 = start[c] as number;
    const c1 = start[c + 1] as number;
    for (let p = q - 1; p >= c0; p--) {
      const pz = xyz[3 * p + 2] as number;
      if (pz < zLo) break;
      const dx = (xyz[3 * p] as number) - qx;
      const dy = (xyz[3 * p + 1] as number) - qy;
      const dz = pz - qz;
      if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= cap) return cap;
    }
    for (let p = q + 1; p < c1; p++) {
      const pz = xyz[3 * p + 2] as number;
      if (pz > zHi) break;
      const dx = (xyz[3 * p] as number) - qx;
      const dy = (xyz[3 * p + 1] as number) - qy;
      const dz = pz - qz;
      if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= cap) return cap;
    }
    const dimX = this.dimX;
    const cx = c % dimX;
    const cy = (c - cx) / dimX;
    const reach = Math.ceil(radius * this.inv);
    const x0 = Math.max(0, cx - reach);
    const x1 = Math.min(dimX - 1, cx + reach);
    const y0 = Math.max(0, cy - reach);
    const y1 = Math.min(this.dimY - 1, cy + reach);
    for (let yy = y0; yy <= y1; yy++) {
      for (let xx = x0; xx <= x1; xx++) {
        const col = xx + dimX * yy;
        if (col === c) continue;
        const e = start[col + 1] as number;
        for (let p = start[col] as number; p < e; p++) {
          const pz = xyz[3 * p + 2] as number;
          if (pz < zLo) continue;
          if (pz > zHi) break;
          const dx = (xyz[3 * p] as number) - qx;
          const dy = (xyz[3 * p + 1] as number) - qy;
          const dz = pz - qz;
          if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= cap) return cap;
        }
      }
    }
    return count;
  }

  countBrighterNear(i: number, radius: number, cap: number, intensity: number): number {
    const xyz = this.xyz;
    const it = this.intensity;
    const start = this.start;
    const c = this.colOf[i] as number;
    const q = this.posOf[i] as number;
    const qx = xyz[3 * q] as number;
    const qy = xyz[3 * q + 1] as number;
    const qz = xyz[3 * q + 2] as number;
    const r2 = radius * radius;
    const zLo = qz - radius - this.zSlack;
    const zHi = qz + radius + this.zSlack;
    const dimX = this.dimX;
    const cx = c % dimX;
    const cy = (c - cx) / dimX;
    const reach = Math.ceil(radius * this.inv);
    const x0 = Math.max(0, cx - reach);
    const x1 = Math.min(dimX - 1, cx + reach);
    const y0 = Math.max(0, cy - reach);
    const y1 = Math.min(this.dimY - 1, cy + reach);
    let count = 0;
    for (let yy = y0; yy <= y1; yy++) {
      for (let xx = x0; xx <= x1; xx++) {
        const col = xx + dimX * yy;
        const e = start[col + 1] as number;
        for (let p = start[col] as number; p < e; p++) {
          const pz = xyz[3 * p + 2] as number;
          if (pz < zLo) continue;
          if (pz > zHi) break;
          if (!((it[p] as number) > intensity)) continue;
          const dx = (xyz[3 * p] as number) - qx;
          const dy = (xyz[3 * p + 1] as number) - qy;
          const dz = pz - qz;
          if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= cap) return cap;
        }
      }
    }
    return count;
  }
}
