import type { PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';
import { radixOrder } from './radix.js';
import { Scratch } from './scratch.js';

export interface ClusterParams {
  /** Two points closer than this (≤) are in the same cluster, metres (Autoware 0.7). */
  readonly tolerance: number;
  /** Clusters with fewer points are dropped (Autoware 10 voxels). */
  readonly minSize: number;
  /** Clusters with more points are dropped (Autoware 1000 voxels). */
  readonly maxSize: number;
  /**
   * Range-scaled minimum (off when absent: pcl::EuclideanClusterExtraction's fixed minimum). A LIDAR's
   * returns on an object thin out as 1/range², so a fixed minimum drops every small object beyond some
   * range (a 32-beam sensor's pedestrian at 30 m has ~5 voxels). A cluster whose centroid lies farther than
   * `fromM` horizontally from the cloud's origin (the sensor) needs max(`floor`, ⌈minSize · (fromM / range)²⌉)
   * points instead of minSize.
   */
  readonly far?: { readonly fromM: number; readonly floor: number };
}

export interface Clusters {
  /** Cluster of each input point, -1 when in no kept cluster. Clusters are numbered by size, largest first. */
  readonly labelOfPoint: Int32Array;
  /** Cluster c holds points pointIndex[start[c] .. start[c + 1]). */
  readonly start: Uint32Array;
  readonly pointIndex: Uint32Array;
  readonly count: number;
}

function find(parent: Int32Array, a: number): number {
  let r = a;
  while ((parent[r] as number) !== r) r = parent[r] as number;
  while ((parent[a] as number) !== r) {
    const next = parent[a] as number;
    parent[a] = r;
    a = next;
  }
  return r;
}

/** Whether any point of cell a (sorted positions a0..a1) is within tolerance (tol2 = its square) of any of cell b. */
function cellsLinked(sx: Float32Array, sy: Float32Array, sz: Float32Array, tol2: number, a0: number, a1: number, b0: number, b1: number): boolean {
  for (let p = a0; p < a1; p++) {
    const px = sx[p] as number;
    const py = sy[p] as number;
    const pz = sz[p] as number;
    for (let q = b0; q < b1; q++) {
      const dx = (sx[q] as number) - px;
      const dy = (sy[q] as number) - py;
      const dz = (sz[q] as number) - pz;
      if (dx * dx + dy * dy + dz * dz <= tol2) return true;
    }
  }
  return false;
}

/**
 * Euclidean cluster extraction with the semantics of pcl::EuclideanClusterExtraction (clusters are
 * the connected components of the "distance ≤ tolerance" graph, then filtered by size), computed on
 * grid cells instead of a k-d tree flood fill: cells of edge tolerance/√3, so every cell is
 * internally connected and is one union-find node; neighbouring cells (offsets up to ±2) are joined
 * when any pair of their points is within tolerance. Points are radix-sorted by cell and neighbours
 * found by cursors over the sorted cell keys: no hash, no dense grid. A cloud of identical points
 * is one cell: O(n).
 */
export function euclideanClusters(cloud: PointCloud, params: ClusterParams, scratch: Scratch = new Scratch()): Clusters {
  const { tolerance, minSize, maxSize, far } = params;
  if (!(tolerance > 0)) throw new InvalidPointCloudParamsError(`cluster tolerance must be > 0, got ${tolerance}`);
  if (far !== undefined && !(far.fromM > 0 && far.floor >= 1)) {
    throw new InvalidPointCloudParamsError(`cluster far rule needs fromM > 0 and floor >= 1, got ${far.fromM} and ${far.floor}`);
  }
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
  let maxZ = -Infinity;
  for (let i = 0; i < n; i++) {
    const px = x[i] as number;
    const py = y[i] as number;
    const pz = z[i] as number;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
    if (pz < minZ) minZ = pz;
    if (pz > maxZ) maxZ = pz;
  }
  // Two cells of padding so neighbour offsets never wrap. Keys are z innermost (z, then x, then y):
  // the five z-neighbours of a cell in a neighbouring column are one contiguous key range.
  const dimX = Math.floor((maxX - minX) * inv) + 5;
  const dimY = Math.floor((maxY - minY) * inv) + 5;
  const dimZ = Math.floor((maxZ - minZ) * inv) + 5;
  const dimZX = dimZ * dimX;
  // Points sorted by cell key (a radix sort): cells are runs of that order, numbered in key order.
  const cellPoints = scratch.u32('cluster.cellPoints', n);
  const cellOfPoint = scratch.i32('cluster.cellOfPoint', n);
  const cellStart = scratch.u32('cluster.cellStart', n + 1);
  // Per cell: its z index; per column (an (x, y) run of cells, by increasing z): its id and first cell.
  const zOfCell = scratch.i32('cluster.zOfCell', n);
  const columnId = scratch.f64('cluster.columnId', n + 1);
  const columnStart = scratch.u32('cluster.columnStart', n + 1);
  let cells = 0;
  let columns = 0;
  if (dimZX * dimY <= 4294967295) {
    const keys = scratch.u32('cluster.keys', n);
    for (let i = 0; i < n; i++) {
      keys[i] =
        Math.floor(((z[i] as number) - minZ) * inv) + 2 +
        (Math.floor(((x[i] as number) - minX) * inv) + 2) * dimZ +
        (Math.floor(((y[i] as number) - minY) * inv) + 2) * dimZX;
    }
    cellPoints.set(radixOrder(keys, n, scratch));
    let prevKey = -1;
    let prevColumn = -1;
    for (let t = 0; t < n; t++) {
      const i = cellPoints[t] as number;
      const k = keys[i] as number;
      if (k !== prevKey) {
        const zi = k % dimZ;
        const col = (k - zi) / dimZ;
        if (col !== prevColumn) {
          columnId[columns] = col;
          columnStart[columns] = cells;
          columns++;
          prevColumn = col;
        }
        cellStart[cells] = t;
        zOfCell[cells] = zi;
        cells++;
        prevKey = k;
      }
      cellOfPoint[i] = cells - 1;
    }
  } else {
    // A grid beyond 2^32 cells (a sweep kilometres across): a comparator sort of float64 keys, same order.
    const keyOf = (i: number): number =>
      Math.floor(((z[i] as number) - minZ) * inv) + 2 +
      (Math.floor(((x[i] as number) - minX) * inv) + 2) * dimZ +
      (Math.floor(((y[i] as number) - minY) * inv) + 2) * dimZX;
    const idx = Array.from({ length: n }, (_, i) => i);
    const keys = Float64Array.from(idx, keyOf);
    idx.sort((p, q) => (keys[p] as number) - (keys[q] as number) || p - q);
    cellPoints.set(idx);
    let prevKey = -1;
    let prevColumn = -1;
    for (let t = 0; t < n; t++) {
      const i = cellPoints[t] as number;
      const k = keys[i] as number;
      if (k !== prevKey) {
        const zi = k % dimZ;
        const col = (k - zi) / dimZ;
        if (col !== prevColumn) {
          columnId[columns] = col;
          columnStart[columns] = cells;
          columns++;
          prevColumn = col;
        }
        cellStart[cells] = t;
        zOfCell[cells] = zi;
        cells++;
        prevKey = k;
      }
      cellOfPoint[i] = cells - 1;
    }
  }
  cellStart[cells] = n;
  columnStart[columns] = cells;
  columnId[columns] = Infinity;
  // Coordinates in cell order (contiguous reads below).
  const sx = scratch.f32('cluster.sx', n);
  const sy = scratch.f32('cluster.sy', n);
  const sz = scratch.f32('cluster.sz', n);
  for (let t = 0; t < n; t++) {
    const i = cellPoints[t] as number;
    sx[t] = x[i] as number;
    sy[t] = y[i] as number;
    sz[t] = z[i] as number;
  }
  const parent = scratch.i32('cluster.parent', cells);
  for (let c = 0; c < cells; c++) parent[c] = c;
  const tol2 = tolerance * tolerance;
  // Neighbour cells without any lookup table, column by column: columns are sorted by id, and for a
  // fixed column offset o the neighbour id (id + o) only grows as the walk advances, so one cursor
  // per offset finds every occupied neighbouring column in O(columns). Half of the 5×5 columns are
  // visited (the other half see this one from their side); within a pair of columns, both sorted
  // by z, a second cursor keeps the five z-cells (|Δz| ≤ 2) of each cell. Cells above a cell in its
  // own column are the next entries (two cells of z padding: no wrap).
  const nOffsets = 12;
  const offsets = scratch.f64('cluster.offsets', nOffsets);
  let nf = 0;
  for (let dy = 0; dy <= 2; dy++)
    for (let dx = -2; dx <= 2; dx++) {
      if (dy === 0 && dx <= 0) continue;
      offsets[nf++] = dx + dy * dimX;
    }
  const columnCursor = scratch.u32('cluster.cursor', nOffsets);
  columnCursor.fill(0);
  for (let ca = 0; ca < columns; ca++) {
    const a0 = columnStart[ca] as number;
    const a1 = columnStart[ca + 1] as number;
    // Own column: each cell with the (at most two) cells above it.
    for (let a = a0; a < a1; a++) {
      const za = zOfCell[a] as number;
      const ra = find(parent, a);
      for (let b = a + 1; b < a1 && (zOfCell[b] as number) <= za + 2; b++) {
        // ra is a root and stays one (trees are only linked under it): a child of it is joined already.
        if ((parent[b] as number) === ra) continue;
        const rb = find(parent, b);
        if (rb !== ra && cellsLinked(sx, sy, sz, tol2, cellStart[a] as number, cellStart[a + 1] as number, cellStart[b] as number, cellStart[b + 1] as number)) parent[rb] = ra;
      }
    }
    const id = columnId[ca] as number;
    for (let f = 0; f < nOffsets; f++) {
      const target = id + (offsets[f] as number);
      let cb = columnCursor[f] as number;
      while ((columnId[cb] as number) < target) cb++;
      columnCursor[f] = cb;
      if ((columnId[cb] as number) !== target) continue;
      const b1 = columnStart[cb + 1] as number;
      let lo = columnStart[cb] as number;
      for (let a = a0; a < a1; a++) {
        const za = zOfCell[a] as number;
        while (lo < b1 && (zOfCell[lo] as number) < za - 2) lo++;
        if (lo === b1) break;
        let ra = -1;
        for (let b = lo; b < b1 && (zOfCell[b] as number) <= za + 2; b++) {
          if (ra < 0) ra = find(parent, a);
          if ((parent[b] as number) === ra) continue;
          const rb = find(parent, b);
          if (rb !== ra && cellsLinked(sx, sy, sz, tol2, cellStart[a] as number, cellStart[a + 1] as number, cellStart[b] as number, cellStart[b + 1] as number)) parent[rb] = ra;
        }
      }
    }
  }
  // Component sizes in points, and each component's lowest point index: the tie-break for equal
  // sizes, independent of the cell layout and of union order.
  const compSize = scratch.u32('cluster.compSize', cells);
  compSize.fill(0);
  const firstPoint = scratch.i32('cluster.firstPoint', cells);
  firstPoint.fill(0x7fffffff);
  for (let c = 0; c < cells; c++) {
    const r = find(parent, c);
    compSize[r] = (compSize[r] as number) + (cellStart[c + 1] as number) - (cellStart[c] as number);
  }
  // Horizontal centroid sums per component, for the range-scaled minimum.
  const sumX = far === undefined ? undefined : scratch.f64('cluster.sumX', cells).fill(0, 0, cells);
  const sumY = far === undefined ? undefined : scratch.f64('cluster.sumY', cells).fill(0, 0, cells);
  for (let i = 0; i < n; i++) {
    const r = find(parent, cellOfPoint[i] as number);
    if (i < (firstPoint[r] as number)) firstPoint[r] = i;
    if (sumX !== undefined && sumY !== undefined) {
      sumX[r] = (sumX[r] as number) + (x[i] as number);
      sumY[r] = (sumY[r] as number) + (y[i] as number);
    }
  }
  const kept: number[] = [];
  for (let c = 0; c < cells; c++) {
    const sz = compSize[c] as number;
    if ((parent[c] as number) !== c || sz > maxSize) continue;
    let need = minSize;
    if (far !== undefined && sz < minSize && sumX !== undefined && sumY !== undefined) {
      const range = Math.hypot((sumX[c] as number) / sz, (sumY[c] as number) / sz);
      if (range > far.fromM) need = Math.max(far.floor, Math.ceil(minSize * (far.fromM / range) ** 2));
    }
    if (sz >= need) kept.push(c);
  }
  // Largest first (as PCL orders its output), ties by the component's first point for determinism.
  kept.sort((p, q) => (compSize[q] as number) - (compSize[p] as number) || (firstPoint[p] as number) - (firstPoint[q] as number));
  const labelOfRoot = scratch.i32('cluster.labelOfRoot', cells);
  labelOfRoot.fill(-1);
  kept.forEach((root, label) => (labelOfRoot[root] = label));
  const start = new Uint32Array(kept.length + 1);
  kept.forEach((root, label) => (start[label + 1] = (start[label] as number) + (compSize[root] as number)));
  const pointIndex = new Uint32Array(start[kept.length] as number);
  const cursor = start.slice(0, kept.length);
  for (let i = 0; i < n; i++) {
    const label = labelOfRoot[find(parent, cellOfPoint[i] as number)] as number;
    if (label < 0) continue;
    labelOfPoint[i] = label;
    pointIndex[cursor[label] as number] = i;
    cursor[label] = (cursor[label] as number) + 1;
  }
  return { labelOfPoint, start, pointIndex, count: kept.length };
}
