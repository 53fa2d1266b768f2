import {
  float32SourceOf,
  selectByMask,
  selectByMaskInto,
  sourceOfCloud,
  viewPoints,
  type Float32Source,
  type PointCloud,
  type PointLayout,
  type ViewOptions,
} from './cloud.js';
import { fitBox, type BoxFitParams, type ObjectBox } from './box.js';
import { euclideanClusters, type ClusterParams } from './cluster.js';
import { removeNoiseAndOutliers } from './denoise.js';
import { prefilterInto, type PrefilterParams, type PrefilterStats } from './filters.js';
import { segmentGround, type GroundParams } from './ground.js';
import { GridIndex, float32Radius } from './grid-index.js';
import { KdTree } from './kdtree.js';
import { removeWeatherNoise, type NoiseParams } from './noise.js';
import { statisticalOutlierRemoval, type RadiusOutlierParams, type StatisticalOutlierParams } from './outliers.js';
import { fitPlaneLeastSquares, type Plane } from './plane.js';
import { Scratch } from './scratch.js';
import { prefilterVoxelGrid, voxelGrid, type VoxelGridParams } from './voxel-grid.js';

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
  readonly fragments: FragmentParams;
}

/**
 * Fragments: what a far small object leaves after the chain (see ScanResult.fragments). A 32-beam sensor's
 * pedestrian at 30–50 m is hit by 2–3 rings ~0.8 m apart, a few points each: the radius outlier filter (2
 * neighbours within 0.6 m) removes most of them, and what survives falls under the clusterer's minimum.
 */
export interface FragmentParams {
  /** Fragments are collected beyond this horizontal range from the sensor, metres; 0 = off (no fragments). */
  readonly fromM: number;
  /** Linking distance of a fragment's points, metres (wider than the clusterer's: rings lie ~0.8 m apart at 40 m). */
  readonly tolerance: number;
  /** A removed outlier counts only when at least this far above the fitted ground plane, metres. */
  readonly minHeightM: number;
  /** At most this many fragments per sweep, the largest first. */
  readonly maxCount: number;
}

/** A small group of non-ground points that is not a reported object: a depth hint, not a detection. */
export interface Fragment {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly pointCount: number;
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
  fragments: { fromM: 0, tolerance: 1.0, minHeightM: 0.3, maxCount: 256 },
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
  /**
   * Non-ground points beyond `fragments.fromM` that are in no reported object, grouped: the points of clusters
   * under the size rule and the radius filter's outliers standing above the ground plane. Too few points to box
   * or classify, but each is a range measurement: fusion places a camera-only object on the fragment inside its
   * box. Largest first, at most `fragments.maxCount`; empty when `fragments.fromM` is 0.
   */
  readonly fragments: readonly Fragment[];
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
    fragments: { ...d.fragments, ...partial.fragments },
  };
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? Partial<T[K]> : T[K] };

/**
 * Buffers of the chain reused from sweep to sweep (processScan is synchronous, so one set per
 * module instance — per worker thread — is enough). Results never alias them.
 */
const chainScratch = new Scratch();

function scratchCloud(scratch: Scratch, name: string, n: number): PointCloud {
  return { length: n, x: scratch.f32(`${name}.x`, n), y: scratch.f32(`${name}.y`, n), z: scratch.f32(`${name}.z`, n), intensity: scratch.f32(`${name}.i`, n) };
}

function sourceOf(input: ScanInput, options: ViewOptions): Float32Source {
  if (!('bytes' in input)) return sourceOfCloud(input);
  // Aligned float32 payloads (KITTI, nuScenes, the simulator) are read in place, without a copy.
  return float32SourceOf(input.bytes, input.layout, options) ?? sourceOfCloud(viewPoints(input.bytes, input.layout, options).toCloud());
}

/**
 * The whole LIDAR chain on one sweep: invalid/range/crop/ego → voxel grid → weather noise →
 * outlier removal → ground → Euclidean clusters → oriented boxes. Pure and synchronous; throws a
 * PoisonRecordError subclass for malformed input and returns status 'empty' for a sweep with no
 * valid point.
 */
export function processScan(input: ScanInput, params: LidarParams = DEFAULT_LIDAR_PARAMS): ScanResult {
  const scratch = chainScratch;
  const src = sourceOf(input, { maxPoints: params.maxPoints });
  // Prefilter and voxel grid in one pass (the kept points are never written out and read back);
  // the two steps when that cannot reproduce them (see prefilterVoxelGrid).
  const fused = prefilterVoxelGrid(src, params.prefilter, params.voxel, scratch, scratchCloud(scratch, 'vox', src.count));
  let prefilterStats: PrefilterStats;
  let vox: { cloud: PointCloud; indexOverflow: boolean };
  if (fused) {
    prefilterStats = fused.stats;
    vox = { cloud: fused.voxels, indexOverflow: false };
  } else {
    const pre = prefilterInto(src, params.prefilter, scratchCloud(scratch, 'pre', src.count));
    prefilterStats = pre.stats;
    vox = voxelGrid(pre.cloud, params.voxel, { bounds: pre.bounds, scratch, out: scratchCloud(scratch, 'vox', pre.cloud.length), voxelOfPoint: 'skip' });
  }
  // One neighbour index serves the noise filter and the outlier filter: noise points are isolated
  // by definition, so leaving them in the index for the outlier counts changes almost nothing.
  const voxels = vox.cloud;
  const keep = scratch.u8('chain.keep', voxels.length);
  keep.fill(1);
  // Radius outliers, marked for the fragments (collected only when fragments are on).
  const outlierMask = params.fragments.fromM > 0 ? scratch.u8('chain.outliers', voxels.length).fill(0) : undefined;
  const statistical = params.outlierMethod === 'statistical';
  const noiseOn = params.noiseFilter === 'on';
  let noiseRemoved = 0;
  let outliers = 0;
  if (voxels.length > 0 && statistical) {
    const tree = new KdTree(voxels);
    if (noiseOn) {
      const noise = removeWeatherNoise(voxels, params.noise, tree);
      noiseRemoved = noise.removed;
      keep.set(noise.keep);
    }
    const r = statisticalOutlierRemoval(voxels, params.statistical, tree);
    for (let i = 0; i < voxels.length; i++) {
      if (keep[i] === 1 && r.keep[i] === 0) {
        keep[i] = 0;
        if (outlierMask !== undefined) outlierMask[i] = 1;
        outliers++;
      }
    }
  } else if (voxels.length > 0 && (noiseOn || params.outlierMethod === 'radius')) {
    // Cell = the larger search radius exactly as queried, so most queries look at 3×3 columns only.
    const cell = Math.max(float32Radius(params.noise.minRadius), float32Radius(params.radius.radius));
    const counter = GridIndex.build(voxels, cell, scratch) ?? new KdTree(voxels);
    const r = removeNoiseAndOutliers(voxels, noiseOn ? params.noise : null, params.outlierMethod === 'radius' ? params.radius : null, counter, keep, outlierMask);
    noiseRemoved = r.noise;
    outliers = r.outliers;
  }
  const noiseFraction = voxels.length > 0 ? noiseRemoved / voxels.length : 0;
  // The cloud the later steps run on is part of the result: a fresh copy, never scratch.
  const cloud = selectByMask(voxels, keep);
  const ground = segmentGround(cloud, params.ground, scratch);
  const nonGround = selectByMaskInto(cloud, ground.ground, 0, scratchCloud(scratch, 'nonGround', cloud.length - ground.groundCount));
  const clusters = euclideanClusters(nonGround, params.cluster, scratch);
  const objects: ObjectBox[] = [];
  for (let c = 0; c < clusters.count; c++) {
    objects.push(fitBox(nonGround, clusters.pointIndex, clusters.start[c] ?? 0, clusters.start[c + 1] ?? 0, params.box, scratch));
  }
  // Cluster labels back onto the denoised cloud (non-ground points in order).
  const clusterOfPoint = new Int32Array(cloud.length).fill(-1);
  for (let i = 0, j = 0; i < cloud.length; i++) {
    if (ground.ground[i] === 1) continue;
    clusterOfPoint[i] = clusters.labelOfPoint[j++] ?? -1;
  }
  const groundPlane = fitPlaneLeastSquares(cloud, ground.ground);
  const fragments = outlierMask === undefined ? [] : collectFragmentsOf(voxels, outlierMask, nonGround, clusters.labelOfPoint, groundPlane, params, scratch);
  const status: ScanStatus =
    src.count === 0 ? { kind: 'empty', reason: 'no-points' } : prefilterStats.output === 0 ? { kind: 'empty', reason: 'no-valid-points' } : { kind: 'ok' };
  return {
    status,
    objects,
    reliability: 1 - noiseFraction,
    noiseFraction,
    fragments,
    groundPlane,
    cloud,
    groundMask: ground.ground,
    clusterOfPoint,
    counts: {
      prefilter: prefilterStats,
      voxels: voxels.length,
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

/**
 * The fragments of a sweep (ScanResult.fragments): non-ground points in no kept cluster, and radius-filter outliers
 * at least `minHeightM` above the ground plane (the ground segmentation never saw them; without a plane, above the
 * configured sensor height's ground), beyond `fromM`, grouped by Euclidean distance.
 */
function collectFragmentsOf(
  voxels: PointCloud, outlierMask: Uint8Array, nonGround: PointCloud, labelOfPoint: Int32Array,
  plane: Plane | null, params: LidarParams, scratch: Scratch,
): Fragment[] {
  const { fromM, tolerance, minHeightM, maxCount } = params.fragments;
  const from2 = fromM * fromM;
  const sensorHeight = params.ground.sensorHeight;
  const pts = scratchCloud(scratch, 'fragments', nonGround.length + voxels.length);
  let n = 0;
  const put = (c: PointCloud, i: number): void => {
    pts.x[n] = c.x[i] as number;
    pts.y[n] = c.y[i] as number;
    pts.z[n] = c.z[i] as number;
    pts.intensity[n] = c.intensity[i] as number;
    n++;
  };
  for (let i = 0; i < nonGround.length; i++) {
    const x = nonGround.x[i] as number;
    const y = nonGround.y[i] as number;
    if (labelOfPoint[i] === -1 && x * x + y * y >= from2) put(nonGround, i);
  }
  // Radius outliers far enough out and standing above the ground.
  for (let i = 0; i < voxels.length; i++) {
    if (outlierMask[i] !== 1) continue;
    const x = voxels.x[i] as number;
    const y = voxels.y[i] as number;
    const z = voxels.z[i] as number;
    const height = plane === null ? z + sensorHeight : plane.a * x + plane.b * y + plane.c * z + plane.d;
    if (x * x + y * y >= from2 && height >= minHeightM) put(voxels, i);
  }
  if (n === 0) return [];
  const groups = euclideanClusters({ ...pts, length: n }, { tolerance, minSize: 1, maxSize: params.cluster.maxSize }, scratch);
  const out: Fragment[] = [];
  for (let c = 0; c < groups.count && out.length < maxCount; c++) {
    const s0 = groups.start[c] as number;
    const s1 = groups.start[c + 1] as number;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let j = s0; j < s1; j++) {
      const i = groups.pointIndex[j] as number;
      sx += pts.x[i] as number;
      sy += pts.y[i] as number;
      sz += pts.z[i] as number;
    }
    const count = s1 - s0;
    out.push({ x: sx / count, y: sy / count, z: sz / count, pointCount: count });
  }
  return out;
}
