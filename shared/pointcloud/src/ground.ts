import type { PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';

export interface GroundParams {
  /** Height of the sensor origin above the road under the vehicle, metres (KITTI HDL-64E: 1.73). */
  readonly sensorHeight: number;
  /** Angular width of one ray (sector), degrees. */
  readonly sectorDeg: number;
  /** Largest slope between consecutive ground points along a ray, degrees (Autoware local_max_slope 8). */
  readonly localSlopeDeg: number;
  /** Largest slope of any ground point as seen from under the sensor, degrees (Autoware general_max_slope 5). */
  readonly globalSlopeDeg: number;
  /** Height tolerance added to both slope limits, metres (covers voxel quantisation and speed bumps). */
  readonly heightTolerance: number;
  /**
   * The running ground reference moves to a new ground point only when that point is at least this
   * much farther out, metres: without it, the tolerance would let the ground climb a vertical wall
   * one point at a time.
   */
  readonly referenceStep: number;
}

export interface GroundResult {
  /** 1 = ground, 0 = non-ground, per input point. */
  readonly ground: Uint8Array;
  readonly groundCount: number;
}

/**
 * Ray-based ground segmentation (after Autoware's ray_ground_filter): points are binned into
 * azimuth sectors and walked outwards by horizontal range. A point is ground when its height is
 * within the local slope of the last ground point on its ray and within the global slope of the
 * road under the vehicle. Following the last *ground* point (not the last point) lets the ground
 * rise and fall with hills and ride over speed bumps while a car's lowest points still stand out.
 * Points far below the running ground (reflections, kerb drop-outs) are ground too but do not move it.
 * O(n log n) for one sort of packed keys.
 */
export function segmentGround(cloud: PointCloud, params: GroundParams): GroundResult {
  const { sensorHeight, sectorDeg, localSlopeDeg, globalSlopeDeg, heightTolerance, referenceStep } = params;
  if (!(sectorDeg > 0 && sectorDeg <= 360)) {
    throw new InvalidPointCloudParamsError(`ground sectorDeg must be in (0, 360], got ${sectorDeg}`);
  }
  const n = cloud.length;
  const ground = new Uint8Array(n);
  if (n === 0) return { ground, groundCount: 0 };
  const sectors = Math.ceil(360 / sectorDeg);
  const { x, y, z } = cloud;
  // One sort of packed keys: sector (high bits) · range in cm (17 bits, ≤ 1.3 km) · point index
  // (24 bits). Exact in a double while the product stays below 2^53; else an index sort.
  const RANGE_STEPS = 2 ** 17;
  const INDEX_STEPS = 2 ** 24;
  const coarse = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const px = x[i] ?? 0;
    const py = y[i] ?? 0;
    let az = Math.atan2(py, px) * (180 / Math.PI);
    if (az < 0) az += 360;
    const s = Math.min(sectors - 1, Math.floor(az / sectorDeg));
    const r = Math.min(RANGE_STEPS - 1, Math.round(Math.sqrt(px * px + py * py) * 100));
    coarse[i] = s * RANGE_STEPS + r;
  }
  let order: Uint32Array;
  if (sectors * RANGE_STEPS * INDEX_STEPS <= Number.MAX_SAFE_INTEGER && n <= INDEX_STEPS) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (coarse[i] ?? 0) * INDEX_STEPS + i;
    keys.sort();
    order = new Uint32Array(n);
    for (let t = 0; t < n; t++) order[t] = (keys[t] ?? 0) % INDEX_STEPS;
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => (coarse[a] ?? 0) - (coarse[b] ?? 0) || a - b);
    order = Uint32Array.from(idx);
  }
  const tanLocal = Math.tan((localSlopeDeg * Math.PI) / 180);
  const tanGlobal = Math.tan((globalSlopeDeg * Math.PI) / 180);
  let groundCount = 0;
  let currentSector = -1;
  let lastR = 0;
  let lastH = 0;
  for (let t = 0; t < n; t++) {
    const i = order[t] ?? 0;
    const px = x[i] ?? 0;
    const py = y[i] ?? 0;
    const s = Math.floor((coarse[i] ?? 0) / RANGE_STEPS);
    if (s !== currentSector) {
      currentSector = s;
      lastR = 0;
      lastH = 0;
    }
    const r = Math.sqrt(px * px + py * py);
    const h = (z[i] ?? 0) + sensorHeight;
    const localLimit = tanLocal * (r - lastR) + heightTolerance;
    const globalLimit = tanGlobal * r + heightTolerance;
    if (Math.abs(h - lastH) <= localLimit && Math.abs(h) <= globalLimit) {
      ground[i] = 1;
      groundCount++;
      if (r - lastR >= referenceStep) {
        lastR = r;
        lastH = h;
      }
    } else if (h < lastH - localLimit) {
      ground[i] = 1;
      groundCount++;
    }
  }
  return { ground, groundCount };
}
