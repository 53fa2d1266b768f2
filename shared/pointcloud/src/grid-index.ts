import type { PointCloud } from './cloud.js';
import { Scratch } from './scratch.js';

/** Counts the points near a point of the cloud the index was built on. */
export interface NeighbourCounter {
  /** Points within `radius` (≤) of point i, i itself included, counting stops at `cap`. */
  countNear(i: number, radius: number, cap: number): number;
}

/** Dense grids above this many cells are not built (memory); callers fall back to the k-d tree. */
const MAX_CELLS = 8_000_000;

/**
 * A dense uniform grid over the cloud's bounding box with the points of each cell stored
 * contiguously (CSR). Radius counting scans the cells the query sphere touches and stops at the cap,
 * so it is bounded however many points share a cell. Cheaper to build than a k-d tree and faster for
 * small radii on voxelised sweeps. Cells are numbered z innermost, so the cells a query visits in one
 * (x, y) column are adjacent: one contiguous range of points per column.
 */
export class GridIndex implements NeighbourCounter {
  private readonly inv: number;
  private readonly minX: number;
  private readonly minY: number;
  private readonly minZ: number;
  private readonly dimX: number;
  private readonly dimY: number;
  private readonly dimZ: number;
  /** Cell c holds sorted points xyz[start[c] .. start[c + 1]). */
  private readonly start: Uint32Array;
  private readonly xyz: Float64Array;
  private readonly cellOf: Uint32Array;

  /** Position of each input point in the cell-sorted copy. */
  private readonly posOf: Uint32Array;

  private constructor(cloud: PointCloud, cell: number, minX: number, minY: number, minZ: number, dims: [number, number, number], scratch: Scratch) {
    this.inv = 1 / cell;
    this.minX = minX;
    this.minY = minY;
    this.minZ = minZ;
    [this.dimX, this.dimY, this.dimZ] = dims;
    const n = cloud.length;
    const cells = this.dimX * this.dimY * this.dimZ;
    const cellOf = scratch.u32('grid.cellOf', n);
    const start = scratch.u32('grid.start', cells + 1);
    start.fill(0);
    const { x, y, z } = cloud;
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(x[i] as number, y[i] as number, z[i] as number);
      cellOf[i] = c;
      start[c + 1] = (start[c + 1] as number) + 1;
    }
    for (let c = 0; c < cells; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number);
    const fill = scratch.u32('grid.fill', cells);
    fill.set(start.subarray(0, cells));
    const xyz = scratch.f64('grid.xyz', 3 * n);
    const posOf = scratch.u32('grid.posOf', n);
    for (let i = 0; i < n; i++) {
      const c = cellOf[i] as number;
      const p = fill[c] as number;
      fill[c] = p + 1;
      posOf[i] = p;
      xyz[3 * p] = x[i] as number;
      xyz[3 * p + 1] = y[i] as number;
      xyz[3 * p + 2] = z[i] as number;
    }
    this.start = start;
    this.xyz = xyz;
    this.cellOf = cellOf;
    this.posOf = posOf;
  }

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
    const dims: [number, number, number] = [
      Math.floor((maxX - minX) / cell) + 1,
      Math.floor((maxY - minY) / cell) + 1,
      Math.floor((maxZ - minZ) / cell) + 1,
    ];
    if (!dims.every(Number.isFinite) || dims[0] * dims[1] * dims[2] > MAX_CELLS) return null;
    return new GridIndex(cloud, cell, minX, minY, minZ, dims, scratch);
  }

  private cellIndex(x: number, y: number, z: number): number {
    const ix = Math.min(this.dimX - 1, Math.floor((x - this.minX) * this.inv));
    const iy = Math.min(this.dimY - 1, Math.floor((y - this.minY) * this.inv));
    const iz = Math.min(this.dimZ - 1, Math.floor((z - this.minZ) * this.inv));
    return iz + this.dimZ * (ix + this.dimX * iy);
  }

  private scanRange(from: number, to: number, qx: number, qy: number, qz: number, r2: number, count: number, cap: number): number {
    const xyz = this.xyz;
    for (let p = from; p < to; p++) {
      const dx = (xyz[3 * p] as number) - qx;
      const dy = (xyz[3 * p + 1] as number) - qy;
      const dz = (xyz[3 * p + 2] as number) - qz;
      if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= cap) return cap;
    }
    return count;
  }

  countNear(i: number, radius: number, cap: number): number {
    const c = this.cellOf[i] as number;
    const q = this.posOf[i] as number;
    const xyz = this.xyz;
    const qx = xyz[3 * q] as number;
    const qy = xyz[3 * q + 1] as number;
    const qz = xyz[3 * q + 2] as number;
    const r2 = radius * radius;
    const start = this.start;
    const c0 = start[c] as number;
    const c1 = start[c + 1] as number;
    // Own cell first: in dense regions it alone usually reaches the cap.
    let count = this.scanRange(c0, c1, qx, qy, qz, r2, 0, cap);
    if (count >= cap) return cap;
    const dimX = this.dimX;
    const dimZ = this.dimZ;
    const cz = c % dimZ;
    const colOwn = c - cz;
    const cx = (colOwn / dimZ) % dimX;
    const cy = Math.floor(colOwn / (dimZ * dimX));
    const reach = Math.ceil(radius * this.inv);
    const x0 = Math.max(0, cx - reach);
    const x1 = Math.min(dimX - 1, cx + reach);
    const y0 = Math.max(0, cy - reach);
    const y1 = Math.min(this.dimY - 1, cy + reach);
    const z0 = Math.max(0, cz - reach);
    const z1 = Math.min(dimZ - 1, cz + reach);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const col = dimZ * (x + dimX * y);
        // Cells z0..z1 of one column are contiguous: one range of points (minus the own cell).
        const from = start[col + z0] as number;
        const to = start[col + z1 + 1] as number;
        if (from === to) continue;
        if (col === colOwn) {
          count = this.scanRange(from, c0, qx, qy, qz, r2, count, cap);
          if (count >= cap) return cap;
          count = this.scanRange(c1, to, qx, qy, qz, r2, count, cap);
        } else {
          count = this.scanRange(from, to, qx, qy, qz, r2, count, cap);
        }
        if (count >= cap) return cap;
      }
    }
    return count;
  }
}
