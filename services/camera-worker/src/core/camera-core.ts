import {
  QualitySchedule,
  boxFromLetterbox,
  preprocessFrame,
  type EncodedImage,
  type FrameTag,
  type NormaliseOptions,
  type PreprocessOptions,
  type PreprocessResult,
  type QualityOptions,
} from '@sensorfuse/image';
import type { CameraDetections, CameraFrame, Detection2d, ObjectClass } from '@sensorfuse/schemas';
import type { CoreContext, WorkerCore } from '@sensorfuse/worker';
import { decodeDetections, type DetectorOutputLayout, type OutputTensor } from './decode-detections.js';

/**
 * The model, seen from the core: one float32 NCHW tensor in, one output tensor out (a pool in a
 * worker thread in production). A detector may take the input buffer (transfer it to its thread)
 * and hand it back as `input` with the output, for the core to recycle.
 */
export interface Detector {
  run(input: Float32Array, dims: readonly number[]): Promise<OutputTensor & { readonly input?: Float32Array }>;
}

/** What the core needs to know about the model (from its card and the config). */
export interface DetectorSpec {
  /** Name and version, published as modelId. */
  readonly modelId: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly padValue: number;
  readonly normalise: NormaliseOptions;
  readonly layout: DetectorOutputLayout;
  /** The model's own labels, by class index. */
  readonly labels: readonly string[];
  /** The shared-taxonomy class of each label. */
  readonly classes: readonly ObjectClass[];
}

/**
 * Where decode → quality → denoise → letterbox → normalise runs: an ImagePreprocessor worker
 * thread in production (none of that CPU time on the event loop), `preprocessFrame` on the
 * caller's thread by default.
 */
export interface FramePreprocessor {
  /**
   * `source` is where the frame came from (topic, partition, offset): a prefetching preprocessor
   * that started on this record as it arrived hands back that work instead of starting again.
   * Its `frame` (camera and capture time) lets it reuse the camera's last quality report per the
   * quality cadence (`quality.everyFrames`, `quality.maxAgeUs`); without it quality is measured.
   */
  run(image: EncodedImage, options: PreprocessOptions, source?: FrameSource): Promise<PreprocessResult>;
  /** Take a result's tensor back for reuse once inference has copied it. */
  recycle?(tensor: Float32Array): void;
  /** The core dropped the frame at `source` without pre-processing it (a prefetcher moves past it). */
  passed?(source: FrameSource): void;
}

/** The bus position of a frame's record, and which camera frame it holds. */
export interface FrameSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Camera and capture time (the quality cadence); absent = measure the quality of this frame. */
  readonly frame?: FrameTag;
}

/** The pre-processing options of a detector and the camera parameters (the same for every core of a worker). */
export function preprocessOptionsFor(spec: DetectorSpec, params: CameraParams): PreprocessOptions {
  return {
    maxPixels: params.maxPixels,
    width: spec.inputWidth,
    height: spec.inputHeight,
    padValue: spec.padValue,
    normalise: spec.normalise,
    quality: params.quality,
    denoise: params.denoise,
  };
}

/** Pre-processing on the caller's thread, with its own quality cadence. */
function inThread(): FramePreprocessor {
  let schedule: QualitySchedule | undefined;
  return {
    run: (image, options, source) => {
      const frame = source?.frame;
      if (frame === undefined) return preprocessFrame(image, options);
      schedule ??= new QualitySchedule({ everyFrames: options.quality.everyFrames ?? 1, maxAgeUs: options.quality.maxAgeUs ?? 0 });
      return preprocessFrame(image, options, undefined, { frame, schedule });
    },
  };
}

/** The quality-cadence tag of a frame: its camera (rigId/sensorId) and capture time. */
export function frameTag(frame: Pick<CameraFrame, 'rigId' | 'sensorId' | 'captureTimeUs'>): FrameTag {
  return { camera: `${frame.rigId}/${frame.sensorId}`, timeUs: frame.captureTimeUs };
}

export interface CameraParams {
  readonly maxPixels: number;
  readonly scoreThreshold: number;
  readonly iouThreshold: number;
  readonly maxDetections: number;
  /** A frame that waited longer than this since the broker got it is dropped unprocessed (0 = never). */
  readonly maxQueueDelayUs: number;
  /** Frames of one camera closer than this after the last processed one are dropped (0 = every frame). */
  readonly minFrameIntervalUs: number;
  readonly quality: QualityOptions;
  readonly denoise: { readonly mode: 'auto' | 'off'; readonly noiseSigmaThreshold: number; readonly medianSize: number };
}

/** Counters shared by all cameras of one worker (for tests, benchmarks and the metrics). */
export interface CameraCounters {
  framesProcessed: number;
  droppedStale: number;
  droppedInterval: number;
  droppedOutOfOrder: number;
  denoised: number;
  /** Frames whose quality was measured on the frame itself (the others reuse their camera's last report). */
  qualityMeasured: number;
}

export function newCameraCounters(): CameraCounters {
  return { framesProcessed: 0, droppedStale: 0, droppedInterval: 0, droppedOutOfOrder: 0, denoised: 0, qualityMeasured: 0 };
}

export interface CameraCoreOptions {
  readonly detector: Detector;
  /** Default: pre-processing on the caller's thread. */
  readonly preprocessor?: FramePreprocessor;
  readonly spec: DetectorSpec;
  readonly params: CameraParams;
  readonly counters: CameraCounters;
  /** Told about every dropped frame (the worker adds it to the records-dropped metric). */
  readonly onDrop?: (reason: 'stale' | 'interval' | 'out-of-order', frame: CameraFrame) => void;
  /** Wall clock, integer µs (injected so tests control staleness). */
  readonly nowUs: () => number;
}

/**
 * One camera: CameraFrame → CameraDetections. Newest frame first: the worker hands frames in
 * order, one at a time, so a frame whose queue delay (now − broker time) exceeds
 * `maxQueueDelayUs` when inference is free again is dropped and counted rather than processed late;
 * `minFrameIntervalUs` thins a camera that is faster than needed. Bad images throw typed errors
 * (the worker dead-letters them).
 */
export class CameraCore implements WorkerCore<CameraFrame, CameraDetections> {
  private lastCaptureUs = -Infinity;
  private readonly preprocessOptions: PreprocessOptions;
  private readonly preprocessor: FramePreprocessor;

  constructor(private readonly o: CameraCoreOptions) {
    this.preprocessOptions = preprocessOptionsFor(o.spec, o.params);
    this.preprocessor = o.preprocessor ?? inThread();
  }

  async update(frame: CameraFrame, context: CoreContext): Promise<readonly CameraDetections[]> {
    const { params, spec, counters } = this.o;
    if (frame.captureTimeUs <= this.lastCaptureUs) {
      counters.droppedOutOfOrder++;
      this.o.onDrop?.('out-of-order', frame);
      this.o.preprocessor?.passed?.(context);
      return [];
    }
    if (params.maxQueueDelayUs > 0 && this.o.nowUs() - context.receivedAtUs > params.maxQueueDelayUs) {
      counters.droppedStale++;
      this.o.onDrop?.('stale', frame);
      this.o.preprocessor?.passed?.(context);
      return [];
    }
    if (params.minFrameIntervalUs > 0 && frame.captureTimeUs - this.lastCaptureUs < params.minFrameIntervalUs) {
      counters.droppedInterval++;
      this.o.onDrop?.('interval', frame);
      this.o.preprocessor?.passed?.(context);
      return [];
    }
    const preprocessor = this.preprocessor;
    const pre = await preprocessor.run(frame, this.preprocessOptions, { topic: context.topic, partition: context.partition, offset: context.offset, frame: frameTag(frame) });
    const { quality, geometry } = pre;
    if (pre.denoised) counters.denoised++;
    if (pre.qualityAgeUs === 0) counters.qualityMeasured++;
    let output: OutputTensor & { readonly input?: Float32Array };
    try {
      output = await this.o.detector.run(pre.tensor, [1, 3, spec.inputHeight, spec.inputWidth]);
    } catch (error) {
      // A detached (transferred, not returned) tensor has length 0: the preprocessor ignores it.
      if (pre.tensor.length > 0) preprocessor.recycle?.(pre.tensor);
      throw error;
    }
    // The tensor the detector handed back (the same buffer, transferred) or the one it only read.
    const used = output.input ?? pre.tensor;
    if (used.length > 0) preprocessor.recycle?.(used);
    const raw = decodeDetections(output, {
      layout: spec.layout,
      numClasses: spec.labels.length,
      scoreThreshold: params.scoreThreshold,
      iouThreshold: params.iouThreshold,
      maxDetections: params.maxDetections,
    });
    const detections: Detection2d[] = [];
    for (const r of raw) {
      const box = boxFromLetterbox(r.box, geometry);
      if (box.xMax <= box.xMin || box.yMax <= box.yMin) continue; // entirely in the padding
      detections.push({ box, objectClass: spec.classes[r.classIndex] ?? 'unknown', label: spec.labels[r.classIndex] ?? String(r.classIndex), score: r.score });
    }
    this.lastCaptureUs = frame.captureTimeUs;
    counters.framesProcessed++;
    return [
      {
        rigId: frame.rigId,
        sensorId: frame.sensorId,
        seq: frame.seq,
        captureTimeUs: frame.captureTimeUs,
        publishTimeUs: this.o.nowUs(),
        frameId: frame.frameId,
        imageWidth: pre.sourceWidth,
        imageHeight: pre.sourceHeight,
        detections,
        quality: { blur: quality.blur, exposure: quality.exposure, blockage: quality.blockage },
        reliability: quality.reliability,
        modelId: spec.modelId,
      },
    ];
  }
}
