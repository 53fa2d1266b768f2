import type { Tracer } from '@opentelemetry/api';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { cameraDetectionsSchema, cameraFrameSchema, type CameraDetections, type CameraFrame } from '@sensorfuse/schemas';
import { createPipelineMetrics, getMeter, type PipelineMetrics } from '@sensorfuse/telemetry';
import { nowUs } from '@sensorfuse/time';
import type { Bus } from '@sensorfuse/transport';
import { createWorker, type Worker, type WorkerLogger } from '@sensorfuse/worker';
import type { CameraConfig } from './config.js';
import { ImagePreprocessor } from '@sensorfuse/image';
import { CameraCore, newCameraCounters, type CameraCounters, type Detector, type DetectorSpec, type FramePreprocessor } from './core/camera-core.js';
import { openDetector } from './detector.js';

export const CAMERA_SERVICE = 'camera-worker';

export interface CameraWorkerOptions {
  readonly registry?: SchemaRegistry;
  readonly tracer?: Tracer;
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
  /** Wall clock for staleness and publishTimeUs; default the system clock. */
  readonly nowUs?: () => number;
  /** Where pre-processing runs (openCameraWorker: an ImagePreprocessor thread); default the event loop's thread. */
  readonly preprocessor?: FramePreprocessor;
}

export type CameraWorkerConfig = Pick<CameraConfig, 'inputTopic' | 'outputTopic' | 'groupId' | 'maxCaptureAheadUs' | 'camera'>;

/** A camera worker plus its frame counters (drops by reason, denoised frames). */
export interface CameraWorker extends Worker {
  readonly counters: Readonly<CameraCounters>;
}

/**
 * The camera worker on any bus with an already opened detector: raw.camera CameraFrame →
 * obs.camera CameraDetections, bad frames to raw.camera.dlq. Embedded mode and tests inject the detector.
 */
export function createCameraWorker(bus: Bus, config: CameraWorkerConfig, detector: Detector, spec: DetectorSpec, options: CameraWorkerOptions = {}): CameraWorker {
  const registry = options.registry ?? new SchemaRegistry();
  const counters = newCameraCounters();
  const clock = options.nowUs ?? nowUs;
  const metrics = options.metrics ?? createPipelineMetrics(getMeter(CAMERA_SERVICE));
  const onDrop = (reason: string, frame: CameraFrame): void => {
    metrics.recordsDropped.add(1, { stage: 'camera', reason, sensorId: frame.sensorId });
  };
  const worker = createWorker<CameraFrame, CameraDetections>({
    name: CAMERA_SERVICE,
    bus,
    input: { topic: config.inputTopic, groupId: config.groupId, codec: createCodec<CameraFrame>(registry, cameraFrameSchema) },
    output: { topic: config.outputTopic, codec: createCodec<CameraDetections>(registry, cameraDetectionsSchema) },
    createCore: () =>
      new CameraCore({
        detector,
        spec,
        params: config.camera,
        counters,
        nowUs: clock,
        onDrop,
        ...(options.preprocessor === undefined ? {} : { preprocessor: options.preprocessor }),
      }),
    maxCaptureAheadUs: config.maxCaptureAheadUs,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    metrics,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return withCounters(worker, counters, async () => {
    /* the caller owns the detector */
  });
}

function withCounters(worker: Worker, counters: CameraCounters, afterDrain: () => Promise<void>): CameraWorker {
  return {
    name: worker.name,
    get state() {
      return worker.state;
    },
    counters,
    start: (onFatal) => {
      worker.start(onFatal);
    },
    isReady: () => worker.isReady(),
    stats: () => worker.stats(),
    drain: async () => {
      await worker.drain();
      await afterDrain();
    },
  };
}

/**
 * Open the configured model in an inference pool and the pre-processing thread, and build the
 * worker: the event loop only schedules, decodes the detector output and publishes. Draining the
 * worker closes both threads.
 */
export async function openCameraWorker(bus: Bus, config: Pick<CameraConfig, 'model'> & CameraWorkerConfig, options: CameraWorkerOptions = {}): Promise<CameraWorker> {
  const opened = await openDetector(config.model);
  let preprocessor: FramePreprocessor | undefined = options.preprocessor;
  let owned: ImagePreprocessor | undefined;
  if (preprocessor === undefined) {
    try {
      owned = await ImagePreprocessor.open();
    } catch (error) {
      await opened.close();
      throw error;
    }
    preprocessor = owned;
  }
  const worker = createCameraWorker(bus, config, opened.detector, opened.spec, { ...options, preprocessor });
  return withCounters(worker, worker.counters, async () => {
    await opened.close();
    await owned?.close();
  });
}
