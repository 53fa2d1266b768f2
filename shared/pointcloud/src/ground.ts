import type { PointCloud } from './cloud.js';
import { InvalidPointCloudParamsError } from './errors.js';
import { radixOrder } from './radix.js';
import { Scratch } from './scratch.js';

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
 * O(n): one radix sort by sector and range.
 */
export function segmentGround(cloud: PointCloud, params: GroundParams, scratch: Scratch = new Scratch()): GroundResult {
  const { sensorHeight, sectorDeg, localSlopeDeg, globalSlopeDeg, heightTolerance, referenceStep } = params;
  if (!(sectorDeg > 0 && sectorDeg <= 360)) {
    throw new InvalidPointCloudParamsError(`ground sectorDeg must be in (0, 360], got ${sectorDeg}`);
  }
  const n = cloud.length;
  const ground = new Uint8Array(n);
  if (n === 0) return { ground, groundCount: 0 };
  const sectors = Math.ceil(360 / sectorDeg);
  const { x, y, z } = cloud;
  // Order points by (sector, horizontal range) with one radix sort of 32-bit keys: the sector in the
  // high bits, the range quantised to the remaining bits (80 m over 22 bits: 19 µm steps), ties by
  // index. O(n); a comparator sort per sector costs several times more.
  const sectorBits = Math.max(1, Math.ceil(Math.log2(sectors)));
  const rangeBits = 32 - sectorBits;
  const sectorOf = scratch.i32('ground.sector', n);
  const range = scratch.f64('ground.range', n);
  let maxRange = 0;
  for (let i = 0; i < n; i++) {
    const px = x[i] as number;
    const py = y[i] as number;
    let az = Math.atan2(py, px) * (180 / Math.PI);
    if (az < 0) az += 360;
    sectorOf[i] = Math.min(sectors - 1, Math.floor(az / sectorDeg));
    const r = Math.sqrt(px * px + py * py);
    range[i] = r;
    if (r > maxRange) maxRange = r;
  }
  const rangeMax = 2 ** rangeBits - 1;
  const scale = maxRange > 0 ? rangeMax / maxRange : 0;
  const keys = scratch.u32('ground.keys', n);
  for (let i = 0; i < n; i++) {
    keys[i] = ((sectorOf[i] as number) * 2 ** rangeBits + Math.min(rangeMax, Math.floor((range[i] as number) * scale))) >>> 0;
  }
  const order = radixOrder(keys, n, scratch);
  const tanLocal = Math.tan((localSlopeDeg * Math.PI) / 180);
  const tanGlobal = Math.tan((globalSlopeDeg * Math.PI) / 180);
  let groundCount = 0;
  let currentSector = -1;
  let lastR = 0;
  let lastH = 0;
  for (let t = 0; t < n; t++) {
    const i = order[t] as number;
    const s = sectorOf[i] as number;
    if (s !== currentSector) {
      currentSector = s;
      lastR = 0;
      lastH = 0;
    }
    const r = range[i] as number;
    const h = (z[i] as number) + sensorHeight;
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
