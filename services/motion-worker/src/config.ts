import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { telemetryConfigSchema } from '@sensorfuse/telemetry';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';

export const MOTION_ENV_PREFIX = 'SENSORFUSE_MOTION_';

const micros = (min: number, max: number, value: number, what: string) => z.number().int().min(min).max(max).default(value).describe(what);

/** The estimator's tunable parameters (shared/filters MotionEstimator); the rest keep the filter's values. */
export const motionParamsSchema = z.strictObject({
  outputRateHz: z.number().min(0.1).max(1000).default(50).describe('EgoState records published per second of capture time, per rig'),
  gyroNoiseDensity: z.number().min(1e-6).max(1).default(2e-3).describe('Gyro white noise density, rad/s/√Hz'),
  accelNoiseDensity: z.number().min(1e-5).max(10).default(2e-2).describe('Accelerometer white noise density, m/s²/√Hz'),
  gyroBiasRandomWalk: z.number().min(0).max(1).default(2e-5).describe('Gyro bias random walk, rad/s²/√Hz'),
  accelBiasRandomWalk: z.number().min(0).max(1).default(2e-4).describe('Accelerometer bias random walk, m/s³/√Hz'),
  gateProbability: z.number().min(0.9).max(0.999999).default(0.9995).describe('Chi-square gate of GNSS, heading and gravity updates (Mahalanobis gating)'),
  defaultGnssStdM: z.number().min(0.01).max(1000).default(5).describe('Horizontal 1σ used for a fix without a known covariance, metres'),
  magDeclinationRad: z.number().min(-Math.PI).max(Math.PI).default(0).describe('Magnetic declination added to magnetometer headings, radians'),
  gnssTimeoutUs: micros(10_000, 600_000_000, 1_000_000, 'No fix for this long flags gnssTimeout (predict-only position), microseconds'),
  imuTimeoutUs: micros(1_000, 60_000_000, 100_000, 'No IMU sample for this long flags imuTimeout, microseconds'),
  imuMaxInterpolationGapUs: micros(0, 10_000_000, 50_000, 'IMU gaps up to this are bridged by interpolation, longer ones coast and are flagged, microseconds'),
  lagUs: micros(0, 10_000_000, 200_000, 'Samples up to this much older than the newest are re-applied in time order; older ones are counted late, microseconds'),
  maxForwardJumpUs: micros(1_000_000, 86_400_000_000, 60_000_000, 'A sample this far ahead of the newest one is rejected as future, microseconds'),
  maxAheadOfReceiveUs: micros(1_000, 86_400_000_000, 5_000_000, 'A capture time this far after the broker received the sample is rejected as future, microseconds'),
});

export const motionConfigSchema = z.strictObject({
  inputTopic: z.string().min(1).max(249).default('raw.motion').describe('Topic of MotionSample records (IMU and GNSS)'),
  outputTopic: z.string().min(1).max(249).default('obs.motion').describe('Topic of EgoState records'),
  groupId: z.string().min(1).max(255).default('motion-worker').describe('Consumer group shared by all instances'),
  outputSensorId: z.string().min(1).max(255).default('ego_state').describe('sensorId of the published EgoState records'),
  outputFrameId: z.string().min(1).max(255).default('enu').describe('frameId of the published EgoState records (the local ENU frame at the first good fix)'),
  shutdownGraceMs: z.number().int().min(100).max(600_000).default(10_000).describe('Longest drain on shutdown, milliseconds'),
  motion: motionParamsSchema,
  bus: busConfigSchema,
  telemetry: telemetryConfigSchema,
});

export type MotionConfig = LoadedConfig<typeof motionConfigSchema>;
export type MotionParamsConfig = MotionConfig['motion'];

/** Defaults < JSON file (SENSORFUSE_MOTION_CONFIG_FILE) < environment (SENSORFUSE_MOTION_*). */
export function loadMotionConfig(env?: Readonly<Record<string, string | undefined>>): MotionConfig {
  return loadConfig(motionConfigSchema, { envPrefix: MOTION_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
}
