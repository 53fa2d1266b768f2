import type { Tracer } from '@opentelemetry/api';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import type { SensorProfile } from '@sensorfuse/imputation';
import { sensorReadingSchema, sensorStateSchema, type SensorReading, type SensorState, type SensorType } from '@sensorfuse/schemas';
import type { PipelineMetrics } from '@sensorfuse/telemetry';
import { nowUs } from '@sensorfuse/time';
import type { Bus } from '@sensorfuse/transport';
import { createWorker, type Worker, type WorkerLogger } from '@sensorfuse/worker';
import type { SensorConfig } from './config.js';
import { createSensorCoreStats, SensorCore, type SensorCoreStats } from './core/sensor-core.js';

export const SENSOR_SERVICE = 'sensor-worker';

export interface SensorWorkerOptions {
  /** Writer schemas this reader accepts besides the current SensorReading (older producers). */
  readonly registry?: SchemaRegistry;
  readonly tracer?: Tracer;
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
  /** Clock of the outputs' publishTimeUs; default the wall clock. */
  readonly nowUs?: () => number;
  /** Overrides of the built-in sensor type profiles (the records' metadata overrides both). */
  readonly profiles?: Partial<Record<SensorType, Partial<SensorProfile>>>;
  /** Counters shared by all rigs' cores; pass one to read them. */
  readonly stats?: SensorCoreStats;
}

/**
 * The sensor worker on any bus (the embedded-mode factory): raw.sensor SensorReading →
 * obs.sensor SensorState, one core per rig (so a rig's sensors can impute each other), bad
 * readings to raw.sensor.dlq with the error class as the reason.
 */
export function createSensorWorker(
  bus: Bus,
  config: Pick<SensorConfig, 'inputTopic' | 'outputTopic' | 'groupId' | 'maxCaptureAheadUs' | 'sensor'>,
  options: SensorWorkerOptions = {},
): Worker {
  const registry = options.registry ?? new SchemaRegistry();
  const stats = options.stats ?? createSensorCoreStats();
  const clock = options.nowUs ?? nowUs;
  return createWorker<SensorReading, SensorState>({
    name: SENSOR_SERVICE,
    bus,
    input: { topic: config.inputTopic, groupId: config.groupId, codec: createCodec<SensorReading>(registry, sensorReadingSchema) },
    output: { topic: config.outputTopic, codec: createCodec<SensorState>(registry, sensorStateSchema) },
    createCore: () =>
      new SensorCore({
        params: config.sensor,
        nowUs: clock,
        stats,
        ...(options.profiles === undefined ? {} : { profiles: options.profiles }),
      }),
    coreKey: (reading) => reading.rigId,
    maxCaptureAheadUs: config.maxCaptureAheadUs,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
