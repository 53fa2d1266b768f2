import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { telemetryConfigSchema } from '@sensorfuse/telemetry';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';

export const LIDAR_ENV_PREFIX = 'SENSORFUSE_LIDAR_';

const metres = (min: number, max: number, value: number, what: string) => z.number().min(min).max(max).default(value).describe(what);

/** The algorithm's parameters; defaults are Autoware's where it has one (issue 5), in the sensor frame. */
export const lidarParamsSchema = z.strictObject({
  maxPoints: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(1_000_000)
    .describe('Points per sweep above which the sweep is dead-lettered (a 128-beam sensor gives ~260k)'),
  prefilter: z.strictObject({
    minRangeM: metres(0, 10, 0.5, 'Returns closer than this are dropped (housing, zero returns), metres'),
    maxRangeM: metres(1, 500, 80, 'Returns farther than this are dropped, metres (HDL-64E useful range)'),
    crop: z.strictObject({
      enabled: z.boolean().default(true).describe('Keep only points inside the crop box'),
      minX: metres(-500, 0, -80, 'Crop box lower x, metres'),
      maxX: metres(0, 500, 80, 'Crop box upper x, metres'),
      minY: metres(-500, 0, -80, 'Crop box lower y, metres'),
      maxY: metres(0, 500, 80, 'Crop box upper y, metres'),
      minZ: metres(-50, 0, -3, 'Crop box lower z, metres (road up to 3 m below the sensor)'),
      maxZ: metres(0, 50, 2.5, 'Crop box upper z, metres'),
    }),
    ego: z.strictObject({
      enabled: z.boolean().default(true).describe('Drop points inside the ego-body box (returns off the own vehicle)'),
      minX: metres(-50, 0, -2.5, 'Ego box lower x, metres (a passenger car with a roof sensor)'),
      maxX: metres(0, 50, 2.0, 'Ego box upper x, metres'),
      minY: metres(-50, 0, -1.0, 'Ego box lower y, metres'),
      maxY: metres(0, 50, 1.0, 'Ego box upper y, metres'),
      minZ: metres(-50, 0, -2.0, 'Ego box lower z, metres'),
      maxZ: metres(0, 50, 0.3, 'Ego box upper z, metres'),
    }),
  }),
  voxel: z.strictObject({
    leafXM: metres(0.01, 10, 0.3, 'Voxel leaf along x, metres (Autoware 0.3)'),
    leafYM: metres(0.01, 10, 0.3, 'Voxel leaf along y, metres (Autoware 0.3)'),
    leafZM: metres(0.01, 10, 0.1, 'Voxel leaf along z, metres (Autoware 0.1)'),
  }),
  noise: z.strictObject({
    mode: z.enum(['on', 'off']).default('on').describe('Rain/dust/spray filter (low intensity and isolated, LIOR + DROR)'),
    lowIntensity: z.number().min(0).max(1000).default(0.05).describe('Intensity at or below which an isolated point is noise (KITTI 0-1 scale; nuScenes 0-255: ~2)'),
    minNeighbors: z.number().int().min(1).max(1000).default(2).describe('Fewer neighbours than this within the search radius make a weak point noise'),
    minRadiusM: metres(0.01, 10, 0.6, 'Smallest noise search radius, metres (two voxel leaves)'),
    angularResolutionDeg: z.number().min(0.01).max(10).default(0.2).describe('Sensor azimuth resolution for the range-dependent radius, degrees'),
    radiusMultiplier: z.number().min(0.1).max(100).default(3).describe('Search radius = max(minRadiusM, multiplier × range × resolution)'),
  }),
  outliers: z.strictObject({
    method: z.enum(['radius', 'statistical', 'none']).default('radius').describe('Outlier removal after the noise filter; statistical is PCL-exact but ~10x the cost'),
    meanK: z.number().int().min(1).max(500).default(50).describe('Statistical: neighbours per point (Autoware 50)'),
    stdMul: z.number().min(0).max(10).default(1.0).describe('Statistical: threshold = mean + stdMul x stddev (Autoware 1.0)'),
    radiusM: metres(0.01, 10, 0.6, 'Radius: search radius, metres'),
    minNeighbors: z.number().int().min(1).max(1000).default(2).describe('Radius: neighbours (besides the point) needed to keep it'),
  }),
  ground: z.strictObject({
    sensorHeightM: metres(0, 10, 1.73, 'Sensor height above the road, metres (KITTI HDL-64E mount)'),
    sectorDeg: z.number().min(0.05).max(45).default(0.5).describe('Azimuth sector width of the ray ground filter, degrees'),
    localSlopeDeg: z.number().min(0).max(45).default(8).describe('Largest slope between neighbouring ground points, degrees (Autoware ray_ground_filter)'),
    globalSlopeDeg: z.number().min(0).max(45).default(5).describe('Largest slope from the sensor foot point, degrees'),
    heightToleranceM: metres(0, 2, 0.2, 'Height tolerance of both slope tests, metres'),
    referenceStepM: metres(0, 10, 0.5, 'The ground reference moves only after this much range, metres (cannot climb walls)'),
  }),
  cluster: z.strictObject({
    toleranceM: metres(0.05, 10, 0.7, 'Euclidean cluster tolerance, metres (Autoware 0.7)'),
    minSize: z.number().int().min(1).max(1_000_000).default(10).describe('Fewest voxels in a reported cluster (Autoware 10)'),
    maxSize: z.number().int().min(1).max(1_000_000).default(1000).describe('Most voxels in a reported cluster (Autoware 1000)'),
    farFromM: metres(0, 500, 20, 'Beyond this range a cluster needs only max(farMinSize, minSize x (farFromM / range)^2) voxels (returns thin out as 1/range^2); 0 = fixed minSize (PCL), metres'),
    farMinSize: z.number().int().min(1).max(1_000_000).default(6).describe('Fewest voxels of a cluster beyond farFromM'),
  }),
  fragments: z.strictObject({
    fromM: metres(0, 500, 20, 'Beyond this range, non-ground points in no reported object (and radius outliers above the ground) are published as fragments, depth hints for fusion; 0 = off, metres'),
    toleranceM: metres(0.05, 10, 1.0, 'Linking distance of a fragment\'s points, metres (32-beam rings lie ~0.8 m apart at 40 m)'),
    minHeightM: metres(0, 5, 0.3, 'A radius outlier counts only this far above the fitted ground plane, metres'),
    maxCount: z.number().int().min(0).max(10_000).default(256).describe('Most fragments per sweep, the largest first'),
  }),
  box: z.strictObject({
    angleStepDeg: z.number().min(0.1).max(10).default(1).describe('Fine step of the L-shape yaw search, degrees'),
    truckMinLengthM: metres(3, 30, 6.5, 'A vehicle-sized box at least this long is reported as truck, shorter as car'),
  }),
  emptyScan: z
    .enum(['dead-letter', 'publish-empty'])
    .default('dead-letter')
    .describe('A sweep with no valid point (NaN storm, zero-filled): to the DLQ, or published with no objects and reliability 0'),
});

export const lidarConfigSchema = z.strictObject({
  inputTopic: z.string().min(1).max(249).default('raw.lidar').describe('Topic of LidarScan sweeps'),
  outputTopic: z.string().min(1).max(249).default('obs.lidar').describe('Topic of LidarObjects'),
  groupId: z.string().min(1).max(255).default('lidar-worker').describe('Consumer group shared by all instances'),
  maxCaptureAheadUs: z
    .number()
    .int()
    .min(1000)
    .max(86_400_000_000)
    .default(10_000_000)
    .describe('A capture time further than this ahead of the broker time is a clock fault (DLQ), microseconds'),
  shutdownGraceMs: z.number().int().min(100).max(600_000).default(10_000).describe('Longest drain on shutdown, milliseconds'),
  lidar: lidarParamsSchema,
  bus: busConfigSchema,
  telemetry: telemetryConfigSchema,
});

export type LidarConfig = LoadedConfig<typeof lidarConfigSchema>;
export type LidarParamsConfig = LidarConfig['lidar'];

/** Defaults < JSON file (SENSORFUSE_LIDAR_CONFIG_FILE) < environment (SENSORFUSE_LIDAR_*). */
export function loadLidarConfig(env?: Readonly<Record<string, string | undefined>>): LidarConfig {
  return loadConfig(lidarConfigSchema, { envPrefix: LIDAR_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
}
