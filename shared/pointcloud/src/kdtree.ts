import type { PointCloud } from './cloud.js';
import type { NeighbourCounter } from './grid-index.js';

const LEAF_SIZE = 12;
/** Half-width of the tree-order window countWithinAt scans before searching the tree. */
const WINDOW = 8;

/**
 * A static 3-D k-d tree over typed arrays (no object per node). Points are copied once into tree
 * order; node m (the median of its range) stores its split axis in `axis[m]`. Build O(n log n)
 * with quickselect, which also stays O(n log n) on all-identical input.
 */
export class KdTree implements NeighbourCounter {
  readonly size: number;
  /** Tree-ordered coordinates, interleaved x, y, z. */
  private readonly xyz: Float64Array;
  /** Split coordinate of node m (the point at m along axis[m]). */
  private readonly split: Float64Array;
  /** Tree position → original point index. */
  readonly order: Uint32Array;
  private readonly axis: Uint8Array;
  // k-NN scratch (max-heap on squared distance).
  private heapD = new Float64Array(0);
  private heapI = new Int32Array(0);
  private heapSize = 0;
  private worst = Infinity;
  private heapCap = 0;
  private qx = 0;
  private qy = 0;
  private qz = 0;
  private r2 = 0;
  private countCap = 0;
  private count = 0;
  /** Only points brighter than this count (−Infinity: all); intensities in tree order. */
  private minIntensity = -Infinity;
  private treeIntensity: Float32Array | null = null;
  private readonly cloudIntensity: Float32Array;

  constructor(cloud: PointCloud) {
    const n = cloud.length;
    this.size = n;
    const order = new Uint32Array(n);
    const xyz = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      order[i] = i;
      xyz[3 * i] = cloud.x[i] ?? 0;
      xyz[3 * i + 1] = cloud.y[i] ?? 0;
      xyz[3 * i + 2] = cloud.z[i] ?? 0;
    }
    this.order = order;
    this.xyz = xyz;
    this.cloudIntensity = cloud.intensity;
    this.axis = new Uint8Array(n);
    this.split = new Float64Array(n);
    // Coordinates are partitioned together with the indices: no indirection while building.
    this.build(0, n - 1);
  }

  private build(lo: number, hi: number): void {
    // Iterate on the right half, recurse on the left: recursion depth stays O(log n).
    while (hi - lo + 1 > LEAF_SIZE) {
      const ax = this.widestAxis(lo, hi);
      const m = (lo + hi) >> 1;
      this.select(ax, lo, hi, m);
      this.axis[m] = ax;
      this.split[m] = this.xyz[3 * m + ax] as number;
      this.build(lo, m - 1);
      lo = m + 1;
    }
  }

  private widestAxis(lo: number, hi: number): number {
    const xyz = this.xyz;
    let best = 0;
    let bestSpread = -1;
    // Sample up to 64 points: enough to pick the axis, cheap on big ranges.
    const step = Math.max(1, Math.floor((hi - lo + 1) / 64));
    for (let a = 0; a < 3; a++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = lo; i <= hi; i += step) {
        const v = xyz[3 * i + a] as number;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx - mn > bestSpread) {
        bestSpread = mx - mn;
        best = a;
      }
    }
    return best;
  }

  /** Quickselect (median of three, Hoare partition) of position k on axis `ax` over [lo, hi]. */
  private select(ax: number, lo: number, hi: number, k: number): void {
    const xyz = this.xyz;
    const order = this.order;
    while (hi > lo) {
      const mid = (lo + hi) >> 1;
      const a = xyz[3 * lo + ax] as number;
      const b = xyz[3 * mid + ax] as number;
      const c = xyz[3 * hi + ax] as number;
      const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while ((xyz[3 * i + ax] as number) < pivot) i++;
        while ((xyz[3 * j + ax] as number) > pivot) j--;
        if (i <= j) {
          const t = order[i] as number;
          order[i] = order[j] as number;
          order[j] = t;
          const i3 = 3 * i;
          const j3 = 3 * j;
          const x0 = xyz[i3] as number;
          const y0 = xyz[i3 + 1] as number;
          const z0 = xyz[i3 + 2] as number;
          xyz[i3] = xyz[j3] as number;
          xyz[i3 + 1] = xyz[j3 + 1] as number;
          xyz[i3 + 2] = xyz[j3 + 2] as number;
          xyz[j3] = x0;
          xyz[j3 + 1] = y0;
          xyz[j3 + 2] = z0;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  /**
   * The k nearest points to (x, y, z), the query point itself included if it is in the tree.
   * Writes original indices and squared distances, nearest first; returns how many were found.
   */
  knn(
    x: number,
    y: number,
    z: number,
    k: number,
    outIndex: Int32Array,
    outDist2: Float64Array,
    /** A known upper bound on the k-th squared distance (prunes the search; must not be too small). */
    upperBound2 = Infinity,
  ): number {
    if (k > this.heapCap) {
      this.heapCap = k;
      this.heapD = new Float64Array(k);
      this.heapI = new Int32Array(k);
    }
    this.heapSize = 0;
    this.worst = Infinity;
    this.countCap = k;
    if (upperBound2 < Infinity && k <= this.size) {
      // Placeholders at the bound: real points closer than it replace them, so the far subtrees
      // are pruned from the start. Index -1 marks a placeholder.
      this.heapD.fill(upperBound2, 0, k);
      this.heapI.fill(-1, 0, k);
      this.heapSize = k;
      this.worst = upperBound2;
    }
    this.qx = x;
    this.qy = y;
    this.qz = z;
    if (this.size > 0) this.knnNode(0, this.size - 1);
    const size = this.heapSize;
    if (upperBound2 < Infinity && (this.heapI[0] ?? -1) < 0 && size > 0) {
      // A placeholder survived: the bound was too tight. Redo without it.
      return this.knn(x, y, z, k, outIndex, outDist2);
    }
    // Pop the max-heap into ascending order.
    for (let s = size - 1; s >= 0; s--) {
      outIndex[s] = this.order[this.heapI[0] ?? 0] ?? 0;
      outDist2[s] = this.heapD[0] ?? 0;
      this.heapPop();
    }
    return size;
  }

  private knnNode(lo: number, hi: number): void {
    const xyz = this.xyz;
    const qx = this.qx;
    const qy = this.qy;
    const qz = this.qz;
    if (hi - lo + 1 <= LEAF_SIZE) {
      for (let i = lo; i <= hi; i++) {
        const dx = (xyz[3 * i] as number) - qx;
        const dy = (xyz[3 * i + 1] as number) - qy;
        const dz = (xyz[3 * i + 2] as number) - qz;
        const d = dx * dx + dy * dy + dz * dz;
        if (d < this.worst || this.heapSize < this.countCap) this.offer(d, i);
      }
      return;
    }
    const m = (lo + hi) >> 1;
    const ax = this.axis[m] as number;
    const diff = (ax === 0 ? qx : ax === 1 ? qy : qz) - (this.split[m] as number);
    const dx = (xyz[3 * m] as number) - qx;
    const dy = (xyz[3 * m + 1] as number) - qy;
    const dz = (xyz[3 * m + 2] as number) - qz;
    if (diff < 0) {
      this.knnNode(lo, m - 1);
      this.offer(dx * dx + dy * dy + dz * dz, m);
      if (this.heapSize < this.countCap || diff * diff < this.worst) this.knnNode(m + 1, hi);
    } else {
      this.knnNode(m + 1, hi);
      this.offer(dx * dx + dy * dy + dz * dz, m);
      if (this.heapSize < this.countCap || diff * diff < this.worst) this.knnNode(lo, m - 1);
    }
  }

  private offer(d: number, i: number): void {
    const hd = this.heapD;
    const hi = this.heapI;
    if (this.heapSize < this.countCap) {
      // Sift up.
      let c = this.heapSize++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if ((hd[p] as number) >= d) break;
        hd[c] = hd[p] as number;
        hi[c] = hi[p] as number;
        c = p;
      }
      hd[c] = d;
      hi[c] = i;
      this.worst = hd[0] as number;
    } else if (d < this.worst) {
      this.siftDown(d, i);
      this.worst = hd[0] as number;
    }
  }

  private siftDown(d: number, i: number): void {
    const hd = this.heapD;
    const hi = this.heapI;
    const size = this.heapSize;
    let c = 0;
    for (;;) {
      let child = 2 * c + 1;
      if (child >= size) break;
      if (child + 1 < size && (hd[child + 1] ?? 0) > (hd[child] ?? 0)) child++;
      if ((hd[child] ?? 0) <= d) break;
      hd[c] = hd[child] ?? 0;
      hi[c] = hi[child] ?? 0;
      c = child;
    }
    hd[c] = d;
    hi[c] = i;
  }

  private heapPop(): void {
    const last = --this.heapSize;
    if (last <= 0) return;
    this.heapSize = last;
    const d = this.heapD[last] ?? 0;
    const i = this.heapI[last] ?? 0;
    this.siftDown(d, i);
  }

  /**
   * Number of points within `radius` of (x, y, z) (distance ≤ radius, the query itself included),
   * counting stops at `cap`: the search is bounded however dense the cloud is.
   */
  countWithin(x: number, y: number, z: number, radius: number, cap: number): number {
    this.qx = x;
    this.qy = y;
    this.qz = z;
    this.r2 = radius * radius;
    this.count = 0;
    this.countCap = cap;
    this.minIntensity = -Infinity;
    if (this.size > 0 && cap > 0) this.countNode(0, this.size - 1);
    return Math.min(this.count, cap);
  }

  countBrighterNear(i: number, radius: number, cap: number, intensity: number): number {
    if (!this.treeIntensity) {
      const t = new Float32Array(this.size);
      for (let p = 0; p < this.size; p++) t[p] = this.cloudIntensity[this.order[p] as number] as number;
      this.treeIntensity = t;
    }
    this.qx = this.cloudX(i);
    this.qy = this.cloudY(i);
    this.qz = this.cloudZ(i);
    this.r2 = radius * radius;
    this.count = 0;
    this.countCap = cap;
    this.minIntensity = intensity;
    if (this.size > 0 && cap > 0) this.countNode(0, this.size - 1);
    this.minIntensity = -Infinity;
    return Math.min(this.count, cap);
  }

  private positionOf(i: number): number {
    if (!this.posOfCache) {
      const pos = new Uint32Array(this.size);
      for (let t = 0; t < this.size; t++) pos[this.order[t] as number] = t;
      this.posOfCache = pos;
    }
    return this.posOfCache[i] as number;
  }

  private cloudX(i: number): number {
    return this.xyz[3 * this.positionOf(i)] as number;
  }

  private cloudY(i: number): number {
    return this.xyz[3 * this.positionOf(i) + 1] as number;
  }

  private cloudZ(i: number): number {
    return this.xyz[3 * this.positionOf(i) + 2] as number;
  }

  private posOfCache: Uint32Array | null = null;

  /** countWithin around original point i of the cloud the tree was built on. */
  countNear(i: number, radius: number, cap: number): number {
    if (!this.posOfCache) {
      const pos = new Uint32Array(this.size);
      for (let t = 0; t < this.size; t++) pos[this.order[t] as number] = t;
      this.posOfCache = pos;
    }
    return this.countWithinAt(this.posOfCache[i] as number, radius, cap);
  }

  /**
   * countWithin for the point stored at tree position `pos` (see `order`). Points next to it in
   * tree order are usually its spatial neighbours, so a short window is scanned first and the tree
   * is searched only when the window does not already reach `cap`.
   */
  countWithinAt(pos: number, radius: number, cap: number): number {
    const xyz = this.xyz;
    const qx = xyz[3 * pos] as number;
    const qy = xyz[3 * pos + 1] as number;
    const qz = xyz[3 * pos + 2] as number;
    const r2 = radius * radius;
    let count = 0;
    const lo = Math.max(0, pos - WINDOW);
    const hi = Math.min(this.size - 1, pos + WINDOW);
    for (let i = lo; i <= hi; i++) {
      const dx = (xyz[3 * i] as number) - qx;
      const dy = (xyz[3 * i + 1] as number) - qy;
      const dz = (xyz[3 * i + 2] as number) - qz;
      if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= cap) return cap;
    }
    return this.countWithin(qx, qy, qz, radius, cap);
  }

  private countNode(lo: number, hi: number): void {
    if (this.count >= this.countCap) return;
    const xyz = this.xyz;
    const qx = this.qx;
    const qy = this.qy;
    const qz = this.qz;
    const r2 = this.r2;
    const bright = this.treeIntensity;
    const minI = this.minIntensity;
    const filtered = minI !== -Infinity && bright !== null;
    if (hi - lo + 1 <= LEAF_SIZE) {
      for (let i = lo; i <= hi; i++) {
        if (filtered && !((bright[i] as number) > minI)) continue;
        const dx = (xyz[3 * i] as number) - qx;
        const dy = (xyz[3 * i + 1] as number) - qy;
        const dz = (xyz[3 * i + 2] as number) - qz;
        if (dx * dx + dy * dy + dz * dz <= r2 && ++this.count >= this.countCap) return;
      }
      return;
    }
    const m = (lo + hi) >> 1;
    const ax = this.axis[m] as number;
    const diff = (ax === 0 ? qx : ax === 1 ? qy : qz) - (this.split[m] as number);
    const dx = (xyz[3 * m] as number) - qx;
    const dy = (xyz[3 * m + 1] as number) - qy;
    const dz = (xyz[3 * m + 2] as number) - qz;
    if (dx * dx + dy * dy + dz * dz <= r2 && !(filtered && !((bright[m] as number) > minI))) this.count++;
    if (diff <= 0 || diff * diff <= r2) this.countNode(lo, m - 1);
    if (diff >= 0 || diff * diff <= r2) this.countNode(m + 1, hi);
  }
}
