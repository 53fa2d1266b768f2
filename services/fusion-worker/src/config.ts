import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { telemetryConfigSchema } from '@sensorfuse/telemetry';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';
import type { FusionParams } from './core/types.js';
import { FUSION_STRATEGIES } from './strategies/index.js';

export const FUSION_ENV_PREFIX = 'SENSORFUSE_FUSION_';

const us = (min: number, max: number, value: number, what: string) => z.number().int().min(min).max(max).default(value).describe(what);
const num = (min: number, max: number, value: number, what: string) => z.number().min(min).max(max).default(value).describe(what);
/** Platt coefficients of one detector class (a = 1, b = 0: the score unchanged). */
const platt = (a: number, b: number, cls: string) => z.strictObject({
  a: num(0, 100, a, `Slope on logit(score) of ${cls} camera detections`),
  b: num(-100, 100, b, `Offset of ${cls} camera detections, logit units`),
}).prefault({});

export const fusionParamsSchema = z.strictObject({
  minIou: num(0, 1, 0.1, 'Smallest IoU of a projected LIDAR box and a camera box that may be matched'),
  minVisibleFraction: num(0, 1, 0.05, 'A projected box less visible than this (hidden behind nearer ones) is not matched in that camera'),
  lidarMaxRangeM: num(1, 500, 60, 'LIDAR useful range, metres: unmatched camera boxes beyond it are camera-only objects at full weight'),
  cameraOnlyInRangeWeight: num(0, 1, 0.9, 'Weight of an unmatched camera box inside LIDAR range (a false positive, or an object the LIDAR did not cluster: with the shipped detector v2 mostly the latter; 0.3 suited v1)'),
  lidarOnlyConfidence: num(0, 1, 0.6, 'Confidence of a LIDAR object with no other evidence, before reliability and point count'),
  lidarFullPoints: z.number().int().min(1).max(100_000).default(50).describe('Cluster points at which the LIDAR confidence saturates'),
  bearingGateSigma: num(0.1, 20, 3, 'Audio-to-object bearing gate, standard deviations of the event bearing'),
  minBearingGateRad: num(0, 3.15, 0.17, 'Smallest audio bearing gate, radians'),
  gateProbability: num(0.5, 0.99999, 0.99, 'Tracker Mahalanobis gate as a chi-square probability (2 degrees of freedom)'),
  confirmHits: z.number().int().min(1).max(100).default(3).describe('Updates before a tentative track is confirmed'),
  lostAfterUs: us(1, 60_000_000, 300_000, 'A confirmed track without updates this long becomes lost (tentative: deleted), microseconds'),
  deleteAfterUs: us(1, 600_000_000, 2_000_000, 'A lost track without updates this long is deleted, microseconds'),
  accelNoiseVehicle: num(0, 1000, 4, 'Constant-velocity model white-acceleration density for vehicles, m²/s³'),
  accelNoisePedestrian: num(0, 1000, 1, 'Constant-velocity model white-acceleration density for pedestrians and animals, m²/s³'),
  lidarPositionStdM: num(0.01, 10, 0.3, 'Position standard deviation of a LIDAR-backed detection, metres'),
  cameraDepthRelStd: num(0.01, 2, 0.15, 'Depth standard deviation of a camera-only detection, fraction of its depth'),
  minStartScore: num(0, 1, 0.3, 'Fused score a detection needs to start a track (a few-voxel LIDAR cluster alone does not: 0.6 x sqrt(points / 50) < 0.3 below 13 voxels)'),
  confirmMaxPositionStdM: num(0.01, 1000, 3.5, 'A tentative track is confirmed only by a detection placed at least this well: position standard deviation along its least certain axis, metres (the depth of a camera-only box beyond ~33 m on the simulator rig; LIDAR-backed detections pass; 1000 = no such rule)'),
  fragmentGateSigma: num(0, 100, 2.5, 'A camera-only box is placed at the range of the LIDAR fragment (obs.lidar fragments: a far object\'s few returns) inside it closest to the box\'s own depth estimate, if within this many of its standard deviations; 0 = fragments unused'),
  cameraScoreCalibration: z.strictObject({
    car: platt(2.773, 1.005, 'car'),
    truck: platt(3.283, 1.017, 'truck'),
    pedestrian: platt(3.312, 1.925, 'pedestrian'),
    cyclist: platt(3.284, 1.647, 'cyclist'),
    animal: platt(3.489, 1.163, 'animal'),
  }).prefault({}).describe('Per-class Platt scaling of camera scores, σ(a·logit(score) + b), fitted for the shipped detector on seeds used for nothing else (src/eval/fit-camera-calibration.ts); a = 1, b = 0 keeps a score (for your own model: set every class so, or fit it)'),
  cameraReliabilityFloor: num(0, 1, 0.5, 'Floor of the camera reliability fusion uses, times (1 − blockage): the image-quality reliability (dark, noisy, blurred) under-rates a detector trained on night and rain (simulator: reliability 0.25 at night for a detector at ~0.8 of its daytime mAP); a covered lens still counts for nothing'),
});

export const fusionConfigSchema = z.strictObject({
  topics: z.strictObject({
    lidar: z.string().min(1).max(249).default('obs.lidar').describe('LidarObjects input (the pivot of alignment)'),
    camera: z.string().min(1).max(249).default('obs.camera').describe('CameraDetections input'),
    audio: z.string().min(1).max(249).default('obs.audio').describe('AudioEvents input'),
    motion: z.string().min(1).max(249).default('obs.motion').describe('EgoState input'),
    sensor: z.string().max(249).default('obs.sensor').describe('SensorState input (device sensors, optional): interpolated at each pivot into FusedDetections.deviceState; empty: not consumed'),
    output: z.string().min(1).max(249).default('fused.detections').describe('FusedDetections output'),
  }),
  groupId: z.string().min(1).max(255).default('fusion-worker').describe('Consumer group shared by all instances'),
  transactionalId: z.string().max(255).default('').describe('Kafka transactional id of this instance, stable across its restarts so a restarted instance fences its predecessor (empty: <groupId>-<hostname>)'),
  calibrationFile: z.string().max(4096).default('').describe('JSON file of RigCalibration records appended to the registry at start (empty: registry only)'),
  align: z.strictObject({
    maxOutOfOrderUs: us(0, 10_000_000, 50_000, 'Allowed out-of-orderness per input, microseconds'),
    cameraWindowUs: us(1000, 1_000_000, 50_000, 'Half-width of the camera match window around the sweep, microseconds (nuScenes cameras trail the sweep by up to 43 ms)'),
    audioWindowUs: us(1000, 1_000_000, 50_000, 'Half-width of the audio window around the sweep, microseconds'),
    motionWindowUs: us(1000, 5_000_000, 100_000, 'Half-width of the motion interpolation window, microseconds'),
    sensorWindowUs: us(1000, 10_000_000, 500_000, 'Half-width of the device-sensor (obs.sensor) interpolation window, per sensor, microseconds'),
    timeoutUs: us(1000, 60_000_000, 200_000, 'Processing time a frame waits for a slow input before it is emitted without it, microseconds'),
    idleTimeoutUs: us(1000, 600_000_000, 2_000_000, 'Silence after which an input stops holding frames back, microseconds'),
    time: z.enum(['processing', 'event']).default('processing')
      .describe('Clock of timeoutUs and idleTimeoutUs: processing (live feeds: a slow input is given up on after timeoutUs of wall time) or event (replays: measured on the inputs\' capture times, so a replay fuses the same frames as the live run whatever the delivery speed; idleTimeoutUs must exceed the delivery skew between topics)'),
  }),
  fusion: fusionParamsSchema.extend({
    strategy: z.enum(FUSION_STRATEGIES).default('late').describe('Fusion strategy: late (rule-based, reliability-weighted), learned (attention model, models/fusion-attention; publishes attention per track) or early (painted LIDAR points: offline evaluation only, the worker refuses it at start); see README "Fusion strategies"'),
    strategyByRig: z.array(z.string().regex(new RegExp(`^[^=]+=(${FUSION_STRATEGIES.join('|')})$`), 'expected <rigId>=<strategy>')).max(10_000).default([])
      .describe('Per-rig strategy overrides, each "<rigId>=<strategy>" (JSON array in the environment); other rigs use fusion.strategy'),
  }),
  stateStore: z.strictObject({
    kind: z.enum(['redis', 'memory']).default('redis').describe('Calibration registry and tracker checkpoints: Redis (deployed) or in process'),
    url: z.string().min(1).max(4096).default('redis://127.0.0.1:6379').describe('Redis URL redis://host:port[/db]'),
    keyPrefix: z.string().max(255).default('sensorfuse:').describe('Prefix of every Redis key'),
  }),
  consumer: z.strictObject({
    maxInFlightRecords: z.number().int().min(1000).max(10_000_000).default(200_000).describe('Consumed records not yet committed before consumption pauses; must exceed one fetch of every input partition, or a backlog of one input can stall the pivot (LIDAR) behind it'),
    maxInFlightBytes: z.number().int().min(1_048_576).max(17_179_869_184).default(536_870_912).describe('Bytes of consumed records not yet committed before consumption pauses'),
  }),
  shutdownGraceMs: z.number().int().min(100).max(600_000).default(10_000).describe('Longest drain on shutdown, milliseconds'),
  bus: busConfigSchema,
  telemetry: telemetryConfigSchema,
});

export type FusionConfig = LoadedConfig<typeof fusionConfigSchema>;

export function loadFusionConfig(env?: Readonly<Record<string, string | undefined>>): FusionConfig {
  return loadConfig(fusionConfigSchema, { envPrefix: FUSION_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
}

/** The schema's defaults as core parameters (the only place defaults live). */
export function defaultFusionParams(): FusionParams {
  return fusionParamsSchema.parse({});
}
