import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { lidarObjectsSchema, lidarScanSchema, type LidarObjects, type LidarScan } from '@sensorfuse/schemas';
import type { PipelineMetrics } from '@sensorfuse/telemetry';
import { nowUs } from '@sensorfuse/time';
import type { Bus } from '@sensorfuse/transport';
import { createWorker, type Worker, type WorkerLogger } from '@sensorfuse/worker';
import type { Tracer } from '@opentelemetry/api';
import type { LidarConfig } from './config.js';
import { LidarCore } from './core/lidar-core.js';
import { lidarParams } from './core/params.js';

export const LIDAR_SERVICE = 'lidar-worker';

export interface LidarWorkerOptions {
  /** Writer schemas this reader accepts besides the current LidarScan (older producers). */
  readonly registry?: SchemaRegistry;
  readonly tracer?: Tracer;
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
  /** Clock of the outputs' publishTimeUs; default the wall clock. */
  readonly nowUs?: () => number;
}

/**
 * The LIDAR worker on any bus: raw.lidar LidarScan → obs.lidar LidarObjects, bad sweeps to
 * raw.lidar.dlq. Used by main.ts (Kafka) and by embedded mode (the shared MemoryBus).
 */
export function createLidarWorker(bus: Bus, config: Pick<LidarConfig, 'inputTopic' | 'outputTopic' | 'groupId' | 'maxCaptureAheadUs' | 'lidar'>, options: LidarWorkerOptions = {}): Worker {
  const registry = options.registry ?? new SchemaRegistry();
  const params = lidarParams(config.lidar);
  const core = { params, truckMinLengthM: config.lidar.box.truckMinLengthM, emptyScan: config.lidar.emptyScan, nowUs: options.nowUs ?? nowUs };
  return createWorker<LidarScan, LidarObjects>({
    name: LIDAR_SERVICE,
    bus,
    input: { topic: config.inputTopic, groupId: config.groupId, codec: createCodec<LidarScan>(registry, lidarScanSchema) },
    output: { topic: config.outputTopic, codec: createCodec<LidarObjects>(registry, lidarObjectsSchema) },
    createCore: () => new LidarCore(core),
    maxCaptureAheadUs: config.maxCaptureAheadUs,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
