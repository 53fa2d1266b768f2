import type { PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';

export interface ClusterParams {
  /** Two points closer than this (≤) are in the same cluster, metres (Autoware 0.7). */
  readonly tolerance: number;
  /** Clusters with fewer points are dropped (Autoware 10 voxels). */
  readonly minSize: number;
  /** Clusters with more points are dropped (Autoware 1000 voxels). */
  readonly maxSize: number;
}

export interface Clusters {
  /** Cluster of each input point, -1 when in no kept cluster. Clusters are numbered by size, largest first. */
  readonly labelOfPoint: Int32Array;
  /** Cluster c holds points pointIndex[start[c] .. start[c + 1]). */
  readonly start: Uint32Array;
  readonly pointIndex: Uint32Array;
  readonly count: number;
}

const DENSE_GRID_MAX_CELLS = 4_000_000;

/**
 * The dense cell grid is reused between calls (allocating and clearing millions of cells per sweep
 * costs more than the clustering): all entries are -1 between calls; each call resets the cells it set.
 */
let scratch = new Int32Array(0);
function denseScratch(size: number): Int32Array {
  if (scratch.length < size) scratch = new Int32Array(size).fill(-1);
  return scratch;
}

function find(parent: Int32Array, a: number): number {
  let r = a;
  while ((parent[r] ?? r) !== r) r = parent[r] ?? r;
  while ((parent[a] ?? a) !== r) {
    const next = parent[a] ?? a;
    parent[a] = r;
    a = next;
  }
  return r;
}

/**
 * Euclidean cluster extraction with the semantics of pcl::EuclideanClusterExtraction (clusters are
 * the connected components of the "distance ≤ tolerance" graph, then filtered by size), computed on
 * a voxel hash instead of a k-d tree flood fill: cells of edge tolerance/√3, so every cell is
 * internally connected and is one union-find node; neighbouring cells (offsets up to ±2) are joined
 * when any pair of their points is within tolerance. A cloud of identical points is one cell: O(n).
 */
export function euclideanClusters(cloud: PointCloud, params: ClusterParams): Clusters {
  const { tolerance, minSize, maxSize } = params;
  if (!(tolerance > 0)) throw new InvalidPointCloudParamsError(`cluster tolerance must be > 0, got ${tolerance}`);
  const n = cloud.length;
  const { x, y, z } = cloud;
  const labelOfPoint = new Int32Array(n).fill(-1);
  if (n === 0) return { labelOfPoint, start: new Uint32Array(1), pointIndex: new Uint32Array(0), count: 0 };
  const cell = tolerance / Math.sqrt(3);
  const inv = 1 / cell;
  let minX = Infinity;
  let minY = Infinity;
  let minZ = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const px = x[i] ?? 0;
    const py = y[i] ?? 0;
    const pz = z[i] ?? 0;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
    if (pz < minZ) minZ = pz;
  }
  // Two cells of padding so neighbour offsets never wrap.
  const dimX = Math.floor((maxX - minX) * inv) + 5;
  const dimY = Math.floor((maxY - minY) * inv) + 5;
  const dimXY = dimX * dimY;
  let maxZ = -Infinity;
  for (let i = 0; i < n; i++) if ((z[i] ?? 0) > maxZ) maxZ = z[i] ?? 0;
  const dimZ = Math.floor((maxZ - minZ) * inv) + 5;
  // A dense cell → id array when the grid is small (a cropped sweep: ~2M cells), else the hash.
  const dense = dimXY * dimZ <= DENSE_GRID_MAX_CELLS ? denseScratch(dimXY * dimZ) : null;
  let cap = 16;
  while (cap < n * 2) cap *= 2;
  const mask = cap - 1;
  const tableKey = new Float64Array(dense ? 0 : cap).fill(-1);
  const tableCell = new Int32Array(dense ? 0 : cap);
  const cellOfPoint = new Int32Array(n);
  const cellCount: number[] = [];
  const keyOfCell: number[] = [];
  const hashOf = (k: number): number => (Math.imul((k % 4294967296) | 0, 0x9e3779b1) ^ Math.imul((k / 4294967296) | 0, 0x85ebca6b)) & mask;
  const lookup = (k: number): number => {
    if (dense) return dense[k] ?? -1;
    let h = hashOf(k);
    for (;;) {
      const tk = tableKey[h] ?? -1;
      if (tk === k) return tableCell[h] ?? -1;
      if (tk === -1) return -1;
      h = (h + 1) & mask;
    }
  };
  for (let i = 0; i < n; i++) {
    const k =
      Math.floor(((x[i] ?? 0) - minX) * inv) + 2 +
      (Math.floor(((y[i] ?? 0) - minY) * inv) + 2) * dimX +
      (Math.floor(((z[i] ?? 0) - minZ) * inv) + 2) * dimXY;
    let c: number;
    if (dense) {
      c = dense[k] ?? -1;
      if (c < 0) {
        c = cellCount.length;
        dense[k] = c;
        cellCount.push(0);
        keyOfCell.push(k);
      }
      cellOfPoint[i] = c;
      cellCount[c] = (cellCount[c] ?? 0) + 1;
      continue;
    }
    let h = hashOf(k);
    for (;;) {
      const tk = tableKey[h] ?? -1;
      if (tk === k) {
        c = tableCell[h] ?? 0;
        break;
      }
      if (tk === -1) {
        c = cellCount.length;
        tableKey[h] = k;
        tableCell[h] = c;
        cellCount.push(0);
        keyOfCell.push(k);
        break;
      }
      h = (h + 1) & mask;
    }
    cellOfPoint[i] = c;
    cellCount[c] = (cellCount[c] ?? 0) + 1;
  }
  const cells = cellCount.length;
  // CSR: points grouped by cell.
  const cellStart = new Uint32Array(cells + 1);
  for (let c = 0; c < cells; c++) cellStart[c + 1] = (cellStart[c] ?? 0) + (cellCount[c] ?? 0);
  const fill = cellStart.slice(0, cells);
  const cellPoints = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = cellOfPoint[i] ?? 0;
    cellPoints[fill[c] ?? 0] = i;
    fill[c] = (fill[c] ?? 0) + 1;
  }
  const parent = new Int32Array(cells);
  for (let c = 0; c < cells; c++) parent[c] = c;
  // Half of the 5×5×5 neighbourhood (the other half is visited from the other side).
  const offsetList: number[] = [];
  for (let dz = -2; dz <= 2; dz++)
    for (let dy = -2; dy <= 2; dy++)
      for (let dx = -2; dx <= 2; dx++) {
        const o = dx + dy * dimX + dz * dimXY;
        if (o > 0) offsetList.push(o);
      }
  const offsets = Float64Array.from(offsetList);
  const nOffsets = offsets.length;
  const tol2 = tolerance * tolerance;
  for (let a = 0; a < cells; a++) {
    const ka = keyOfCell[a] ?? 0;
    const a0 = cellStart[a] ?? 0;
    const a1 = cellStart[a + 1] ?? 0;
    for (let f = 0; f < nOffsets; f++) {
      const key = ka + (offsets[f] as number);
      const b = dense ? (dense[key] ?? -1) : lookup(key);
      if (b < 0) continue;
      const ra = find(parent, a);
      const rb = find(parent, b);
      if (ra === rb) continue;
      const b0 = cellStart[b] ?? 0;
      const b1 = cellStart[b + 1] ?? 0;
      let linked = false;
      for (let p = a0; p < a1 && !linked; p++) {
        const i = cellPoints[p] ?? 0;
        const px = x[i] ?? 0;
        const py = y[i] ?? 0;
        const pz = z[i] ?? 0;
        for (let q = b0; q < b1; q++) {
          const j = cellPoints[q] ?? 0;
          const dx = (x[j] ?? 0) - px;
          const dy = (y[j] ?? 0) - py;
          const dz = (z[j] ?? 0) - pz;
          if (dx * dx + dy * dy + dz * dz <= tol2) {
            linked = true;
            break;
          }
        }
      }
      if (linked) parent[rb] = ra;
    }
  }
  if (dense) for (let c = 0; c < cells; c++) dense[keyOfCell[c] ?? 0] = -1;
  // Component sizes in points.
  const compSize = new Uint32Array(cells);
  for (let c = 0; c < cells; c++) {
    const r = find(parent, c);
    compSize[r] = (compSize[r] ?? 0) + (cellCount[c] ?? 0);
  }
  const kept: number[] = [];
  for (let c = 0; c < cells; c++) {
    const s = compSize[c] ?? 0;
    if (find(parent, c) === c && s >= minSize && s <= maxSize) kept.push(c);
  }
  // Largest first (as PCL orders its output), ties by first cell for determinism.
  kept.sort((p, q) => (compSize[q] ?? 0) - (compSize[p] ?? 0) || p - q);
  const labelOfRoot = new Int32Array(cells).fill(-1);
  kept.forEach((root, label) => (labelOfRoot[root] = label));
  const start = new Uint32Array(kept.length + 1);
  kept.forEach((root, label) => (start[label + 1] = (start[label] ?? 0) + (compSize[root] ?? 0)));
  const pointIndex = new Uint32Array(start[kept.length] ?? 0);
  const cursor = start.slice(0, kept.length);
  for (let i = 0; i < n; i++) {
    const label = labelOfRoot[find(parent, cellOfPoint[i] ?? 0)] ?? -1;
    if (label < 0) continue;
    labelOfPoint[i] = label;
    pointIndex[cursor[label] ?? 0] = i;
    cursor[label] = (cursor[label] ?? 0) + 1;
  }
  return { labelOfPoint, start, pointIndex, count: kept.length };
}
