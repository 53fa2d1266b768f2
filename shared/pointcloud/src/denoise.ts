import type { PointCloud } from './cloud.js';
import { float32Radius, type NeighbourCounter } from './grid-index.js';
import type { NoiseParams } from './noise.js';
import type { RadiusOutlierParams } from './outliers.js';

export interface DenoiseResult {
  /** 1 = kept; 0 = weather noise or radius outlier. */
  readonly keep: Uint8Array;
  /** Points removed as weather noise (the noise filter runs first and claims them). */
  readonly noise: number;
  /** Points the radius filter removed that were not already noise. */
  readonly outliers: number;
}

/**
 * The chain's weather-noise filter followed by the radius outlier filter, in one pass over one
 * neighbour index, with exactly the result of running removeWeatherNoise and then
 * radiusOutlierRemoval on the same cloud (noise first; a point both would remove counts as noise).
 * A weak point the radius filter keeps has ≥ its needed neighbours within the outlier radius; when
 * the noise radius is at least that large and the noise filter needs no more neighbours, that point
 * cannot be noise, so its second query is skipped — on a real sweep nearly every noise query is.
 */
export function removeNoiseAndOutliers(
  cloud: PointCloud,
  noise: NoiseParams | null,
  radius: RadiusOutlierParams | null,
  counter: NeighbourCounter,
  keep: Uint8Array,
  /** When given, set to 1 for each point the radius filter removed (not for weather noise), else left as is. */
  outlierMask?: Uint8Array,
): DenoiseResult {
  const n = cloud.length;
  const { x, y, intensity } = cloud;
  // FLANN compares squared float32 distances against radius² in float32 (see radiusOutlierRemoval).
  const rR = radius ? float32Radius(radius.radius) : 0;
  const needR = radius ? radius.minNeighbors + 1 : 0;
  const needN = noise ? noise.minNeighbors + 1 : 0;
  const res = noise ? (noise.angularResolutionDeg * Math.PI) / 180 : 0;
  const low = noise ? noise.lowIntensity : -Infinity;
  const minRadius = noise ? noise.minRadius : 0;
  const beta = noise ? noise.radiusMultiplier : 0;
  let noiseCount = 0;
  let outliers = 0;
  for (let i = 0; i < n; i++) {
    const radiusKeep = !radius || counter.countNear(i, rR, needR) >= needR;
    let isNoise = false;
    if (noise && (intensity[i] as number) <= low) {
      const px = x[i] as number;
      const py = y[i] as number;
      const rN = float32Radius(Math.max(minRadius, beta * Math.sqrt(px * px + py * py) * res));
      const implied = radius !== null && radiusKeep && rN >= rR && needN <= needR;
      isNoise = !implied && counter.countNear(i, rN, needN) < needN && counter.countBrighterNear(i, rN, 1, low) === 0;
    }
    if (isNoise) {
      keep[i] = 0;
      noiseCount++;
    } else if (!radiusKeep) {
      keep[i] = 0;
      if (outlierMask !== undefined) outlierMask[i] = 1;
      outliers++;
    } else {
      keep[i] = 1;
    }
  }
  return { keep, noise: noiseCount, outliers };
}
