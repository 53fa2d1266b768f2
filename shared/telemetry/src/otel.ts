import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import type { Counter, Gauge, Histogram } from '@opentelemetry/api';
import { LATENCY_BUCKETS_S, METRIC, scopeName } from './names.js';

/** The service's tracer, scope `sensorfuse.<service>`, from the global provider (a no-op one when no SDK is registered). */
export function getTracer(service: string, version?: string): Tracer {
  return trace.getTracer(scopeName(service), version);
}

/** The service's meter, scope `sensorfuse.<service>`, from the global provider (a no-op one when no SDK is registered). */
export function getMeter(service: string, version?: string): Meter {
  return metrics.getMeter(scopeName(service), version);
}

/** The standard pipeline instruments, created with the standard names, units and buckets. */
export interface PipelineMetrics {
  /** Seconds; record `usToSeconds(durationUs)` with attribute `stage`. */
  readonly stageDuration: Histogram;
  /** Seconds; capture → fused output. */
  readonly endToEndLatency: Histogram;
  readonly framesEmitted: Counter;
  readonly framesPartial: Counter;
  readonly modalityMissing: Counter;
  readonly recordsLate: Counter;
  readonly recordsDuplicate: Counter;
  readonly recordsDropped: Counter;
  readonly dlqRecords: Counter;
  /** Records behind, per topic/partition/group. */
  readonly consumerLag: Gauge;
}

export function createPipelineMetrics(meter: Meter): PipelineMetrics {
  const advice = { explicitBucketBoundaries: [...LATENCY_BUCKETS_S] };
  return {
    stageDuration: meter.createHistogram(METRIC.stageDuration, { unit: 's', description: 'Time a record spends in one stage', advice }),
    endToEndLatency: meter.createHistogram(METRIC.endToEndLatency, {
      unit: 's',
      description: 'Capture time of the newest input to fused output published',
      advice,
    }),
    framesEmitted: meter.createCounter(METRIC.framesEmitted, { description: 'Fused frames emitted' }),
    framesPartial: meter.createCounter(METRIC.framesPartial, { description: 'Frames emitted with at least one modality missing' }),
    modalityMissing: meter.createCounter(METRIC.modalityMissing, { description: 'Frames emitted without the given modality' }),
    recordsLate: meter.createCounter(METRIC.recordsLate, { description: 'Records behind the watermark' }),
    recordsDuplicate: meter.createCounter(METRIC.recordsDuplicate, { description: 'Records dropped as duplicates' }),
    recordsDropped: meter.createCounter(METRIC.recordsDropped, { description: 'Records dropped (stale, overflow…)' }),
    dlqRecords: meter.createCounter(METRIC.dlqRecords, { description: 'Records sent to a dead-letter topic' }),
    consumerLag: meter.createGauge(METRIC.consumerLag, { unit: '{record}', description: 'Log end offset minus committed offset' }),
  };
}

/** Timestamps are integer microseconds; OpenTelemetry durations are seconds. */
export function usToSeconds(us: number): number {
  return us / 1_000_000;
}
