import type { Tracer } from '@opentelemetry/api';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { egoStateSchema, motionSampleSchema, type EgoState, type MotionSample } from '@sensorfuse/schemas';
import type { PipelineMetrics } from '@sensorfuse/telemetry';
import { nowUs } from '@sensorfuse/time';
import type { Bus } from '@sensorfuse/transport';
import { createWorker, type Worker, type WorkerLogger } from '@sensorfuse/worker';
import type { MotionConfig } from './config.js';
import { MotionCore } from './core/motion-core.js';
import { motionCoreOptions } from './core/params.js';

export const MOTION_SERVICE = 'motion-worker';

export interface MotionWorkerOptions {
  /** Writer schemas this reader accepts besides the current MotionSample (older producers). */
  readonly registry?: SchemaRegistry;
  readonly tracer?: Tracer;
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
  /** Clock of the outputs' publishTimeUs; default the wall clock. */
  readonly nowUs?: () => number;
  /** Called with each rig's new core (tests and diagnostics read its stats). */
  readonly onCore?: (rigId: string, core: MotionCore) => void;
}

/**
 * The motion worker on any bus: raw.motion MotionSample → obs.motion EgoState, one estimator per
 * rig (all IMUs and GNSS receivers of a rig feed the same filter), bad samples to raw.motion.dlq.
 */
export function createMotionWorker(
  bus: Bus,
  config: Pick<MotionConfig, 'inputTopic' | 'outputTopic' | 'groupId' | 'outputSensorId' | 'outputFrameId' | 'motion'>,
  options: MotionWorkerOptions = {},
): Worker {
  const registry = options.registry ?? new SchemaRegistry();
  const coreOptions = motionCoreOptions(config, options.nowUs ?? nowUs);
  return createWorker<MotionSample, EgoState>({
    name: MOTION_SERVICE,
    bus,
    input: { topic: config.inputTopic, groupId: config.groupId, codec: createCodec<MotionSample>(registry, motionSampleSchema) },
    output: { topic: config.outputTopic, codec: createCodec<EgoState>(registry, egoStateSchema) },
    createCore: (first) => {
      const core = new MotionCore(coreOptions);
      options.onCore?.(first.rigId, core);
      return core;
    },
    coreKey: (sample) => sample.rigId,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
