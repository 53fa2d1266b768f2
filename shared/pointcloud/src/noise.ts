import type { PointCloud } from './cloud.js';
import { GridIndex, float32Radius, type NeighbourCounter } from './grid-index.js';
import { KdTree } from './kdtree.js';

export interface NoiseParams {
  /** Points with intensity at or below this are candidates (rain, dust and spray return weakly; KITTI scale 0–1). */
  readonly lowIntensity: number;
  /** A candidate with fewer other points than this within its search radius is noise. */
  readonly minNeighbors: number;
  /** Smallest search radius, metres (at least two voxel leaves on a voxelised cloud). */
  readonly minRadius: number;
  /** Horizontal angular resolution of the sensor, degrees (HDL-64E ≈ 0.08–0.35°). */
  readonly angularResolutionDeg: number;
  /** Radius multiplier of DROR (β in Charron et al. 2018): radius = β · range · resolution. */
  readonly radiusMultiplier: number;
}

export interface NoiseResult {
  /** 1 = kept, 0 = removed as noise. */
  readonly keep: Uint8Array;
  readonly removed: number;
  /** removed / input points (0 for an empty cloud). */
  readonly noiseFraction: number;
  /** 1 − noiseFraction: how much of the sweep the sensor could see through. */
  readonly reliability: number;
}

/**
 * Rain, dust and spray filter: low-intensity outlier removal (LIOR) combined with dynamic-radius
 * outlier removal (DROR, Charron et al. 2018). Airborne particles give weak, isolated returns; solid
 * surfaces give neighbours, and far surfaces are sparse, so the search radius grows with range.
 * A point is noise only when it is weak, isolated (fewer than minNeighbors others within the radius)
 * and has no brighter point within the radius: a far bright sign survives, and so do the weak parts
 * of a solid object (glass, tyres) next to its bright ones; spray and rain clouds are weak throughout.
 */
export function removeWeatherNoise(cloud: PointCloud, params: NoiseParams, index?: NeighbourCounter): NoiseResult {
  const counter = index ?? GridIndex.build(cloud, float32Radius(params.minRadius)) ?? new KdTree(cloud);
  const n = cloud.length;
  const keep = new Uint8Array(n).fill(1);
  const res = (params.angularResolutionDeg * Math.PI) / 180;
  const need = params.minNeighbors + 1; // the query point counts itself
  let removed = 0;
  for (let i = 0; i < n; i++) {
    if ((cloud.intensity[i] ?? 0) > params.lowIntensity) continue;
    const px = cloud.x[i] ?? 0;
    const py = cloud.y[i] ?? 0;
    const radius = float32Radius(Math.max(params.minRadius, params.radiusMultiplier * Math.sqrt(px * px + py * py) * res));
    // A weak return next to a bright one is part of a solid surface (glass beside paint, a tyre
    // under a wing); airborne echoes are weak throughout their cloud.
    if (counter.countNear(i, radius, need) < need && counter.countBrighterNear(i, radius, 1, params.lowIntensity) === 0) {
      keep[i] = 0;
      removed++;
    }
  }
  const noiseFraction = n > 0 ? removed / n : 0;
  return { keep, removed, noiseFraction, reliability: 1 - noiseFraction };
}
