import { fileURLToPath } from 'node:url';
import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { telemetryConfigSchema } from '@sensorfuse/telemetry';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';

export const CAMERA_ENV_PREFIX = 'SENSORFUSE_CAMERA_';

/** The `model.path` default: the simulator detector shipped in the repository (models/sim-detector, see its MODEL_CARD.md). */
export const SHIPPED_MODEL = 'models/sim-detector/sim-detector.onnx';
/** Where that file is, resolved from this package (src/ and dist/ are both one level below it), so it is found from any working directory. */
export const SHIPPED_MODEL_PATH = fileURLToPath(new URL(`../../../${SHIPPED_MODEL}`, import.meta.url));

export const cameraModelSchema = z.strictObject({
  path: z
    .string()
    .min(0)
    .max(4096)
    .default(SHIPPED_MODEL)
    .describe('The detector .onnx file; the default is the simulator detector shipped in the repository (resolved from the package, any working directory), another relative path is resolved against the working directory'),
  cardPath: z.string().min(0).max(4096).default('').describe('Its model card JSON; empty = next to the model (x.onnx → x.card.json)'),
  layout: z
    .enum(['card', 'yolo', 'nms-n6', 'nms-1n7'])
    .default('card')
    .describe('Output layout: from the card (postprocess.layout), YOLOv8/11 raw [1,4+C,N], post-NMS [N,6] or YOLOv7 end2end [1,N,7]'),
  workers: z.number().int().min(1).max(16).default(1).describe('Inference worker threads, one session each'),
  intraOpThreads: z.number().int().min(1).max(64).default(1).describe('onnxruntime intra-op threads per session'),
});

export const cameraParamsSchema = z.strictObject({
  maxPixels: z.number().int().min(1).max(200_000_000).default(16_000_000).describe('Images with more pixels are dead-lettered before decoding (default 16 MP)'),
  scoreThreshold: z.number().min(0).max(1).default(0.25).describe('Detections below this score are dropped'),
  iouThreshold: z.number().min(0).max(1).default(0.45).describe('Class-wise NMS IoU threshold (raw YOLO output)'),
  maxDetections: z.number().int().min(1).max(10_000).default(100).describe('Most detections per frame, best first'),
  maxQueueDelayUs: z
    .number()
    .int()
    .min(0)
    .max(60_000_000)
    .default(200_000)
    .describe('A frame that waited longer than this since the broker got it is dropped and counted (0 = never), microseconds'),
  minFrameIntervalUs: z.number().int().min(0).max(60_000_000).default(0).describe('Per camera, frames closer than this to the last processed one are dropped (0 = all), microseconds'),
  prefetch: z
    .enum(['next-frame', 'off'])
    .default('next-frame')
    .describe('next-frame: the pre-processing thread prepares the next waiting frame while the current one is in inference (needs a second free core to pay off); off: one frame after the other'),
  quality: z.strictObject({
    blurReferenceVariance: z.number().min(0.001).max(100_000).default(100).describe('Laplacian variance at which blur = 0.5'),
    noiseReferenceSigma: z.number().min(0.1).max(255).default(10).describe('Noise sigma at which the noise factor of the reliability is 0.5, grey levels'),
    underExposedLevel: z.number().int().min(0).max(255).default(16).describe('Grey level at or below which a pixel is crushed black'),
    overExposedLevel: z.number().int().min(0).max(255).default(240).describe('Grey level at or above which a pixel is clipped white'),
    blockageGrid: z.number().int().min(1).max(64).default(8).describe('Tiles per side of the blockage map'),
    blockageStdThreshold: z.number().min(0).max(128).default(2).describe('A tile with grey std below this has no texture (blocked), grey levels'),
    sampleRowStep: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(5)
      .describe('Quality is estimated at full resolution on every n-th row (with its neighbours for the 3x3 masks); 1 = every row, exact; keep it odd so it does not beat with the 8-row JPEG blocks'),
    everyFrames: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('Per camera, the full-resolution quality is measured at least every n-th frame; the frames in between publish the last report (1 = every frame)'),
    maxAgeUs: z
      .number()
      .int()
      .min(0)
      .max(60_000_000)
      .default(500_000)
      .describe('Per camera, the quality is measured again once the last report is this old in capture time, whatever everyFrames says (0 = every frame), microseconds'),
  }),
  denoise: z.strictObject({
    mode: z.enum(['auto', 'off']).default('auto').describe('auto: median filter when the measured noise is at least noiseSigmaThreshold'),
    noiseSigmaThreshold: z.number().min(0).max(255).default(8).describe('Noise sigma (Immerkaer) that switches the median on, grey levels'),
    medianSize: z.number().int().min(3).max(9).default(3).describe('Median window side, pixels'),
  }),
});

export const cameraConfigSchema = z.strictObject({
  inputTopic: z.string().min(1).max(249).default('raw.camera').describe('Topic of CameraFrame images'),
  outputTopic: z.string().min(1).max(249).default('obs.camera').describe('Topic of CameraDetections'),
  groupId: z.string().min(1).max(255).default('camera-worker').describe('Consumer group shared by all instances'),
  maxCaptureAheadUs: z
    .number()
    .int()
    .min(1000)
    .max(86_400_000_000)
    .default(10_000_000)
    .describe('A capture time further than this ahead of the broker time is a clock fault (DLQ), microseconds'),
  shutdownGraceMs: z.number().int().min(100).max(600_000).default(10_000).describe('Longest drain on shutdown, milliseconds'),
  model: cameraModelSchema,
  camera: cameraParamsSchema,
  bus: busConfigSchema,
  telemetry: telemetryConfigSchema,
});

export type CameraConfig = LoadedConfig<typeof cameraConfigSchema>;
export type CameraModelConfig = CameraConfig['model'];
export type CameraParamsConfig = CameraConfig['camera'];

/** Defaults < JSON file (SENSORFUSE_CAMERA_CONFIG_FILE) < environment (SENSORFUSE_CAMERA_*); the shipped model's path made absolute. */
export function loadCameraConfig(env?: Readonly<Record<string, string | undefined>>): CameraConfig {
  const config = loadConfig(cameraConfigSchema, { envPrefix: CAMERA_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
  return config.model.path === SHIPPED_MODEL ? Object.freeze({ ...config, model: Object.freeze({ ...config.model, path: SHIPPED_MODEL_PATH }) }) : config;
}
