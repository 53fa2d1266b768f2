/**
 * Standard names, so every package reports the same metric under the same name and attributes.
 * OpenTelemetry names are dotted; the Prometheus exporter turns `.` into `_` and adds `_total` to
 * counters (`sensorfuse_frames_emitted_total`); units go to the `# UNIT` line, not into the name
 * (`sensorfuse_stage_duration_bucket{stage="voxel",le="0.01"}`, in seconds).
 */

/** Instrumentation scope of a service: `sensorfuse.<service>`. */
export function scopeName(service: string): string {
  return `sensorfuse.${service}`;
}

export const METRIC = {
  /** Histogram, seconds: time a record spends in one stage (decode, filter, infer, align, fuse…). Attribute `stage`. */
  stageDuration: 'sensorfuse.stage.duration',
  /** Histogram, seconds: capture time of the newest input → fused output published (end-to-end latency). */
  endToEndLatency: 'sensorfuse.pipeline.latency',
  /** Counter: fused frames emitted. */
  framesEmitted: 'sensorfuse.frames.emitted',
  /** Counter: frames emitted with at least one modality missing. */
  framesPartial: 'sensorfuse.frames.partial',
  /** Counter: frames emitted without a given modality. Attribute `modality`. */
  modalityMissing: 'sensorfuse.modality.missing',
  /** Counter: records that arrived behind the watermark (sent to the late side output). Attributes `modality`, `sensor.id`. */
  recordsLate: 'sensorfuse.records.late',
  /** Counter: records dropped as duplicates (same sensor and seq). Attributes `modality`, `sensor.id`. */
  recordsDuplicate: 'sensorfuse.records.duplicate',
  /** Counter: records dropped for any other reason (stale, overflow…). Attributes `stage`, `reason`. */
  recordsDropped: 'sensorfuse.records.dropped',
  /** Counter: records written to a dead-letter topic. Attributes `messaging.destination.name` (source topic), `error.type`. */
  dlqRecords: 'sensorfuse.dlq.records',
  /** Gauge, records: log end offset − committed offset. Attributes `messaging.destination.name`, `messaging.destination.partition.id`, `messaging.consumer.group.name`. */
  consumerLag: 'sensorfuse.consumer.lag',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Attribute keys; messaging ones follow the OpenTelemetry semantic conventions. */
export const ATTR = {
  stage: 'stage',
  modality: 'modality',
  sensorId: 'sensor.id',
  rigId: 'rig.id',
  reason: 'reason',
  errorType: 'error.type',
  topic: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  consumerGroup: 'messaging.consumer.group.name',
  offset: 'messaging.kafka.offset',
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.type',
} as const;

/** Latency buckets in seconds: 0.5 ms … 10 s, dense around sensor periods (10–100 ms). */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
];
