import { selectByMask, viewPoints, type PointCloud, type PointLayout, type ViewOptions } from './cloud.js';
import { fitBox, type BoxFitParams, type ObjectBox } from './box.js';
import { euclideanClusters, type ClusterParams } from './cluster.js';
import { prefilter, type PrefilterParams, type PrefilterStats } from './filters.js';
import { segmentGround, type GroundParams } from './ground.js';
import { GridIndex } from './grid-index.js';
import { KdTree } from './kdtree.js';
import { removeWeatherNoise, type NoiseParams } from './noise.js';
import { radiusOutlierRemoval, statisticalOutlierRemoval, type RadiusOutlierParams, type StatisticalOutlierParams } from './outliers.js';
import { fitPlaneLeastSquares, type Plane } from './plane.js';
import { voxelGrid, type VoxelGridParams } from './voxel-grid.js';

export type OutlierMethod = 'radius' | 'statistical' | 'none';
export type NoiseFilterMode = 'on' | 'off';

export interface LidarParams {
  /** Points per sweep above which the sweep is rejected (PointCountOverCapError). */
  readonly maxPoints: number;
  readonly prefilter: PrefilterParams;
  readonly voxel: VoxelGridParams;
  readonly noiseFilter: NoiseFilterMode;
  readonly noise: NoiseParams;
  readonly outlierMethod: OutlierMethod;
  readonly statistical: StatisticalOutlierParams;
  readonly radius: RadiusOutlierParams;
  readonly ground: GroundParams;
  readonly cluster: ClusterParams;
  readonly box: BoxFitParams;
}

/** Defaults: Autoware's where they exist (voxel 0.3/0.3/0.1, SOR 50/1.0, clusters 0.7 m, 10–1000 voxels). */
export const DEFAULT_LIDAR_PARAMS: LidarParams = {
  maxPoints: 10_000_000,
  prefilter: {
    minRange: 0.5,
    maxRange: 80,
    // Relative to the sensor: keeps the road up to 3 m below and objects up to 2.5 m above the sensor.
    cropBox: { minX: -80, maxX: 80, minY: -80, maxY: 80, minZ: -3, maxZ: 2.5 },
    // A passenger car with the sensor on its roof, centred.
    egoBox: { minX: -2.5, maxX: 2.0, minY: -1.0, maxY: 1.0, minZ: -2.0, maxZ: 0.3 },
  },
  voxel: { leafX: 0.3, leafY: 0.3, leafZ: 0.1 },
  noiseFilter: 'on',
  noise: { lowIntensity: 0.05, minNeighbors: 2, minRadius: 0.6, angularResolutionDeg: 0.2, radiusMultiplier: 3 },
  outlierMethod: 'radius',
  statistical: { meanK: 50, stdMul: 1.0 },
  radius: { radius: 0.6, minNeighbors: 2 },
  ground: { sensorHeight: 1.73, sectorDeg: 0.5, localSlopeDeg: 8, globalSlopeDeg: 5, heightTolerance: 0.2, referenceStep: 0.5 },
  cluster: { tolerance: 0.7, minSize: 10, maxSize: 1000 },
  box: { angleStepDeg: 1 },
};

export type ScanInput = PointCloud | { readonly bytes: Uint8Array; readonly layout: PointLayout };

export type ScanStatus =
  | { readonly kind: 'ok' }
  /** Nothing usable in the sweep (all NaN, zero returns, out of range): a flagged empty result. */
  | { readonly kind: 'empty'; readonly reason: 'no-points' | 'no-valid-points' };

export interface ScanCounts {
  readonly prefilter: PrefilterStats;
  readonly voxels: number;
  readonly noise: number;
  readonly outliers: number;
  readonly ground: number;
  readonly nonGround: number;
  readonly clustered: number;
  readonly clusters: number;
}

export interface ScanResult {
  readonly status: ScanStatus;
  readonly objects: readonly ObjectBox[];
  /** 1 − fraction of voxels removed as rain/dust/spray noise; 1 when the filter is off. */
  readonly reliability: number;
  readonly noiseFraction: number;
  /** Least-squares plane through the ground points (null with fewer than 3). */
  readonly groundPlane: Plane | null;
  /** The downsampled, denoised cloud the later steps ran on, and per point: ground flag and cluster. */
  readonly cloud: PointCloud;
  readonly groundMask: Uint8Array;
  readonly clusterOfPoint: Int32Array;
  readonly counts: ScanCounts;
  /** PCL's 32-bit voxel-index guard tripped: the voxel step passed the cloud through unchanged. */
  readonly voxelIndexOverflow: boolean;
}

/** Merge a partial parameter object over the defaults, one section deep. */
export function resolveLidarParams(partial: DeepPartial<LidarParams> = {}): LidarParams {
  const d = DEFAULT_LIDAR_PARAMS;
  return {
    maxPoints: partial.maxPoints ?? d.maxPoints,
    prefilter: { ...d.prefilter, ...partial.prefilter },
    voxel: { ...d.voxel, ...partial.voxel },
    noiseFilter: partial.noiseFilter ?? d.noiseFilter,
    noise: { ...d.noise, ...partial.noise },
    outlierMethod: partial.outlierMethod ?? d.outlierMethod,
    statistical: { ...d.statistical, ...partial.statistical },
    radius: { ...d.radius, ...partial.radius },
    ground: { ...d.ground, ...partial.ground },
    cluster: { ...d.cluster, ...partial.cluster },
    box: { ...d.box, ...partial.box },
  };
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? Partial<T[K]> : T[K] };

function toCloud(input: ScanInput, options: ViewOptions): PointCloud {
  return 'bytes' in input ? viewPoints(input.bytes, input.layout, options).toCloud() : input;
}

/**
 * The whole LIDAR chain on one sweep: invalid/range/crop/ego → voxel grid → weather noise →
 * outlier removal → ground → Euclidean clusters → oriented boxes. Pure and synchronous; throws a
 * PoisonRecordError subclass for malformed input and returns status 'empty' for a sweep with no
 * valid point.
 */
export function processScan(input: ScanInput, params: LidarParams = DEFAULT_LIDAR_PARAMS): ScanResult {
  const raw = toCloud(input, { maxPoints: params.maxPoints });
  const pre = prefilter(raw, params.prefilter);
  const vox = voxelGrid(pre.cloud, params.voxel);
  // One neighbour index serves the noise filter and the outlier filter: noise points are isolated
  // by definition, so leaving them in the index for the outlier counts changes almost nothing.
  let cloud = vox.cloud;
  const keep = new Uint8Array(cloud.length).fill(1);
  const statistical = params.outlierMethod === 'statistical';
  const tree = cloud.length > 0 && statistical ? new KdTree(cloud) : null;
  const cell = Math.max(params.noise.minRadius, params.radius.radius);
  const counter = cloud.length === 0 ? null : (tree ?? GridIndex.build(cloud, cell) ?? new KdTree(cloud));
  let noiseRemoved = 0;
  let noiseFraction = 0;
  if (params.noiseFilter === 'on' && counter) {
    const noise = removeWeatherNoise(cloud, params.noise, counter);
    noiseRemoved = noise.removed;
    noiseFraction = noise.noiseFraction;
    keep.set(noise.keep);
  }
  let outliers = 0;
  if (counter && params.outlierMethod !== 'none') {
    const r = tree
      ? statisticalOutlierRemoval(cloud, params.statistical, tree)
      : radiusOutlierRemoval(cloud, params.radius, counter);
    for (let i = 0; i < cloud.length; i++) {
      if (keep[i] === 1 && r.keep[i] === 0) {
        keep[i] = 0;
        outliers++;
      }
    }
  }
  if (noiseRemoved + outliers > 0) cloud = selectByMask(cloud, keep);
  const ground = segmentGround(cloud, params.ground);
  const nonGround = selectByMask(cloud, ground.ground, 0);
  const clusters = euclideanClusters(nonGround, params.cluster);
  const objects: ObjectBox[] = [];
  for (let c = 0; c < clusters.count; c++) {
    objects.push(fitBox(nonGround, clusters.pointIndex, clusters.start[c] ?? 0, clusters.start[c + 1] ?? 0, params.box));
  }
  // Cluster labels back onto the denoised cloud (non-ground points in order).
  const clusterOfPoint = new Int32Array(cloud.length).fill(-1);
  for (let i = 0, j = 0; i < cloud.length; i++) {
    if (ground.ground[i] === 1) continue;
    clusterOfPoint[i] = clusters.labelOfPoint[j++] ?? -1;
  }
  const status: ScanStatus =
    raw.length === 0 ? { kind: 'empty', reason: 'no-points' } : pre.cloud.length === 0 ? { kind: 'empty', reason: 'no-valid-points' } : { kind: 'ok' };
  return {
    status,
    objects,
    reliability: 1 - noiseFraction,
    noiseFraction,
    groundPlane: fitPlaneLeastSquares(cloud, ground.ground),
    cloud,
    groundMask: ground.ground,
    clusterOfPoint,
    counts: {
      prefilter: pre.stats,
      voxels: vox.cloud.length,
      noise: noiseRemoved,
      outliers,
      ground: ground.groundCount,
      nonGround: nonGround.length,
      clustered: clusters.pointIndex.length,
      clusters: clusters.count,
    },
    voxelIndexOverflow: vox.indexOverflow,
  };
}
