import type { LidarParams } from '@sensorfuse/pointcloud';
import type { LidarParamsConfig } from '../config.js';

/** The validated config section as the point-cloud chain's parameters (units already metres/degrees). */
export function lidarParams(c: LidarParamsConfig): LidarParams {
  const crop = c.prefilter.crop;
  const ego = c.prefilter.ego;
  return {
    maxPoints: c.maxPoints,
    prefilter: {
      minRange: c.prefilter.minRangeM,
      maxRange: c.prefilter.maxRangeM,
      cropBox: crop.enabled ? { minX: crop.minX, maxX: crop.maxX, minY: crop.minY, maxY: crop.maxY, minZ: crop.minZ, maxZ: crop.maxZ } : null,
      egoBox: ego.enabled ? { minX: ego.minX, maxX: ego.maxX, minY: ego.minY, maxY: ego.maxY, minZ: ego.minZ, maxZ: ego.maxZ } : null,
    },
    voxel: { leafX: c.voxel.leafXM, leafY: c.voxel.leafYM, leafZ: c.voxel.leafZM },
    noiseFilter: c.noise.mode,
    noise: {
      lowIntensity: c.noise.lowIntensity,
      minNeighbors: c.noise.minNeighbors,
      minRadius: c.noise.minRadiusM,
      angularResolutionDeg: c.noise.angularResolutionDeg,
      radiusMultiplier: c.noise.radiusMultiplier,
    },
    outlierMethod: c.outliers.method,
    statistical: { meanK: c.outliers.meanK, stdMul: c.outliers.stdMul },
    radius: { radius: c.outliers.radiusM, minNeighbors: c.outliers.minNeighbors },
    ground: {
      sensorHeight: c.ground.sensorHeightM,
      sectorDeg: c.ground.sectorDeg,
      localSlopeDeg: c.ground.localSlopeDeg,
      globalSlopeDeg: c.ground.globalSlopeDeg,
      heightTolerance: c.ground.heightToleranceM,
      referenceStep: c.ground.referenceStepM,
    },
    cluster: {
      tolerance: c.cluster.toleranceM,
      minSize: c.cluster.minSize,
      maxSize: c.cluster.maxSize,
      ...(c.cluster.farFromM > 0 ? { far: { fromM: c.cluster.farFromM, floor: c.cluster.farMinSize } } : {}),
    },
    box: { angleStepDeg: c.box.angleStepDeg },
    fragments: { fromM: c.fragments.fromM, tolerance: c.fragments.toleranceM, minHeightM: c.fragments.minHeightM, maxCount: c.fragments.maxCount },
  };
}
