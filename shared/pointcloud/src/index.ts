export {
  TruncatedPointBufferError,
  BadPointStrideError,
  PointDescriptorMismatchError,
  PointCountOverCapError,
  PcdFormatError,
  InvalidPointCloudParamsError,
} from './errors.js';
export {
  type PointCloud,
  type PointField,
  type PointFieldType,
  type PointLayout,
  type PointBufferView,
  type ViewOptions,
  DEFAULT_MAX_POINTS,
  FIELD_SIZE,
  createCloud,
  withLength,
  selectPoints,
  selectByMask,
  selectByMaskInto,
  sourceOfCloud,
  float32SourceOf,
  type Float32Source,
  validateLayout,
  viewPoints,
  kittiLayout,
  nuscenesLayout,
} from './cloud.js';
export { readKittiBin, readNuscenesBin } from './readers.js';
export { readPcd, writePcd, type PcdFile, type PcdHeader, type PcdDataFormat } from './pcd.js';
export { lzfDecompress } from './lzf.js';
export { prefilter, prefilterInto, type Bounds, type Box3, type PrefilterParams, type PrefilterStats } from './filters.js';
export { Scratch } from './scratch.js';
export { radixOrder } from './radix.js';
export { prefilterVoxelGrid, voxelGrid, type VoxelGridOptions, type VoxelGridParams, type VoxelGridResult } from './voxel-grid.js';
export { KdTree } from './kdtree.js';
export { GridIndex, float32Radius, type NeighbourCounter } from './grid-index.js';
export {
  statisticalOutlierRemoval,
  radiusOutlierRemoval,
  type StatisticalOutlierParams,
  type RadiusOutlierParams,
  type OutlierResult,
} from './outliers.js';
export {
  fitPlaneRansac,
  fitPlaneLeastSquares,
  planeAngleDeg,
  makeRng,
  type Plane,
  type PlaneFit,
  type PlaneRansacParams,
} from './plane.js';
export { segmentGround, type GroundParams, type GroundResult } from './ground.js';
export { euclideanClusters, type ClusterParams, type Clusters } from './cluster.js';
export { fitBox, classHint, type ObjectBox, type ClassHint, type BoxFitParams } from './box.js';
export { removeWeatherNoise, type NoiseParams, type NoiseResult } from './noise.js';
export { removeNoiseAndOutliers, type DenoiseResult } from './denoise.js';
export {
  processScan,
  resolveLidarParams,
  DEFAULT_LIDAR_PARAMS,
  type LidarParams,
  type OutlierMethod,
  type NoiseFilterMode,
  type ScanInput,
  type ScanStatus,
  type ScanCounts,
  type ScanResult,
  type DeepPartial,
  type Fragment,
  type FragmentParams,
} from './chain.js';
export {
  KittiFormatError,
  parseKittiCalib,
  parseKittiLabels,
  veloToRect,
  rectToVelo,
  labelCenterVelo,
  countPointsInLabel,
  type KittiCalib,
  type KittiLabel,
} from './kitti.js';
