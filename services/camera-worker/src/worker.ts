import type { Tracer } from '@opentelemetry/api';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { cameraDetectionsSchema, cameraFrameSchema, type CameraDetections, type CameraFrame } from '@sensorfuse/schemas';
import { createPipelineMetrics, getMeter, type PipelineMetrics } from '@sensorfuse/telemetry';
import { nowUs } from '@sensorfuse/time';
import type { Bus, ConsumedRecord } from '@sensorfuse/transport';
import { tap } from 'rxjs';
import { createWorker, type Worker, type WorkerLogger } from '@sensorfuse/worker';
import type { CameraConfig } from './config.js';
import { ImagePreprocessor } from '@sensorfuse/image';
import { CameraCore, newCameraCounters, preprocessOptionsFor, type CameraCounters, type Detector, type DetectorSpec, type FramePreprocessor } from './core/camera-core.js';
import { FramePrefetcher } from './frame-prefetcher.js';
import { openDetector } from './detector.js';

export const CAMERA_SERVICE = 'camera-worker';

export interface CameraWorkerOptions {
  readonly registry?: SchemaRegistry;
  readonly tracer?: Tracer;
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
  /** Wall clock for staleness and publishTimeUs; default the system clock. */
  readonly nowUs?: () => number;
  /**
   * Where pre-processing runs (openCameraWorker: an ImagePreprocessor thread); default the event
   * loop's thread. A preprocessor given here is fed ahead of the core (FramePrefetcher) unless
   * `prefetch` is 'off'.
   */
  readonly preprocessor?: FramePreprocessor;
  /** Overrides `camera.prefetch`: 'next-frame' pre-processes the next waiting record while the current one is in inference (only with a preprocessor). */
  readonly prefetch?: 'next-frame' | 'off';
}

export type CameraWorkerConfig = Pick<CameraConfig, 'inputTopic' | 'outputTopic' | 'groupId' | 'maxCaptureAheadUs' | 'camera'>;

/** A camera worker plus its frame counters (drops by reason, denoised frames, frames prepared ahead). */
export interface CameraWorker extends Worker {
  readonly counters: Readonly<CameraCounters>;
  /** Frames whose pre-processing started ahead, while the previous frame was in inference (0 without prefetching). */
  prefetched(): number;
  /** Frames whose inference started the moment the detector was free, before the core asked for them (0 without prefetching). */
  inferredAhead(): number;
  /** Restarts of the ImagePreprocessor thread after a crash (0 when pre-processing runs elsewhere). */
  preprocessorRestarts(): number;
}

/** The same bus with every record of `topic`'s subscriptions shown to `onRecord` as it is delivered. */
function observeInput(bus: Bus, onRecord: (record: ConsumedRecord) => void): Bus {
  return {
    admin: bus.admin,
    publish: (topic, records) => bus.publish(topic, records),
    subscribe: (options) => bus.subscribe(options).pipe(tap(onRecord)),
    transaction: () => bus.transaction(),
    close: () => bus.close(),
  };
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
  const inputCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
  let preprocessor = options.preprocessor;
  let prefetcher: FramePrefetcher | undefined;
  if (preprocessor !== undefined && (options.prefetch ?? config.camera.prefetch) !== 'off') {
    prefetcher = new FramePrefetcher({
      preprocessor,
      options: preprocessOptionsFor(spec, config.camera),
      decode: (value) => inputCodec.decode(value),
      maxQueueDelayUs: config.camera.maxQueueDelayUs,
      minFrameIntervalUs: config.camera.minFrameIntervalUs,
      nowUs: clock,
    });
    preprocessor = prefetcher;
  }
  const feed = prefetcher;
  // With prefetching, the prepared frame's inference starts the moment the detector is free (FramePrefetcher.detector).
  const coreDetector = prefetcher?.detector(detector) ?? detector;
  const worker = createWorker<CameraFrame, CameraDetections>({
    name: CAMERA_SERVICE,
    bus: feed === undefined ? bus : observeInput(bus, (record) => { feed.offer(record); }),
    input: { topic: config.inputTopic, groupId: config.groupId, codec: inputCodec },
    output: { topic: config.outputTopic, codec: createCodec<CameraDetections>(registry, cameraDetectionsSchema) },
    createCore: () =>
      new CameraCore({
        detector: coreDetector,
        spec,
        params: config.camera,
        counters,
        nowUs: clock,
        onDrop,
        ...(preprocessor === undefined ? {} : { preprocessor }),
      }),
    maxCaptureAheadUs: config.maxCaptureAheadUs,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    metrics,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const thread = options.preprocessor instanceof ImagePreprocessor ? options.preprocessor : undefined;
  return withCounters(worker, counters, () => prefetcher?.prefetched ?? 0, () => prefetcher?.inferredAhead ?? 0, () => thread?.restarts ?? 0, () => {
    // The caller owns the detector and the preprocessor; only the work started ahead is dropped.
    prefetcher?.close();
    return Promise.resolve();
  });
}

function withCounters(worker: Worker, counters: CameraCounters, prefetched: () => number, inferredAhead: () => number, restarts: () => number, afterDrain: () => Promise<void>): CameraWorker {
  return {
    name: worker.name,
    get state() {
      return worker.state;
    },
    counters,
    prefetched,
    inferredAhead,
    preprocessorRestarts: restarts,
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
      // A crashed thread is restarted with back-off; the frame it held is dead-lettered (PreprocessorCrashedError).
      owned = await ImagePreprocessor.open({
        onCrash: (reason, restarts) => {
          options.logger?.warn({ worker: CAMERA_SERVICE, reason, restarts }, 'image pre-processing thread died, restarting it');
        },
      });
    } catch (error) {
      await opened.close();
      throw error;
    }
    preprocessor = owned;
  }
  const worker = createCameraWorker(bus, config, opened.detector, opened.spec, { ...options, preprocessor });
  const restarts = (): number => owned?.restarts ?? worker.preprocessorRestarts();
  return withCounters(worker, worker.counters, () => worker.prefetched(), () => worker.inferredAhead(), restarts, async () => {
    await opened.close();
    await owned?.close();
  });
}
