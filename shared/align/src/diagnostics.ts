import { metrics, type Attributes, type Counter, type Meter } from '@opentelemetry/api';
import type { SensorRecord } from './types.js';

/**
 * Every way a record can leave the aligner other than inside an output frame, and every decision
 * a user may need to explain a frame, is one of these typed events. Nothing goes away silently.
 */
export type AlignEvent =
  | { readonly type: 'align.duplicate'; readonly input: string; readonly record: SensorRecord; readonly atUs: number }
  | {
      readonly type: 'align.late';
      readonly input: string;
      readonly record: SensorRecord;
      /** behind-watermark: older than the input's watermark, not used; after-timeout: falls in the
       *  window of a frame already emitted without it (the input timed out); after-release: older than
       *  records already released in order. */
      readonly reason: 'behind-watermark' | 'after-timeout' | 'after-release';
      readonly watermarkUs: number;
      readonly atUs: number;
    }
  | {
      readonly type: 'align.evicted';
      readonly input: string;
      readonly reason: 'max-records' | 'max-bytes' | 'max-collectors' | 'queue-size';
      readonly record?: SensorRecord;
      readonly atUs: number;
    }
  | {
      readonly type: 'align.dropped';
      readonly input: string;
      readonly record: SensorRecord;
      /** Approximate-time policy: the record can no longer be part of any optimal set. */
      readonly reason: 'superseded' | 'max-interval' | 'unreliable-pivot';
      readonly atUs: number;
    }
  | {
      readonly type: 'align.reset';
      readonly input: string;
      readonly sensorId: string;
      readonly fromUs: number;
      readonly toUs: number;
      readonly atUs: number;
    }
  | { readonly type: 'align.timeout'; readonly input: string; readonly pivotTimeUs: number; readonly atUs: number }
  | { readonly type: 'align.idle'; readonly input: string; readonly silentUs: number; readonly atUs: number }
  | { readonly type: 'align.active'; readonly input: string; readonly atUs: number };

export type AlignEventType = AlignEvent['type'];

export const ALIGN_EVENT_TYPES: readonly AlignEventType[] = [
  'align.duplicate',
  'align.late',
  'align.evicted',
  'align.dropped',
  'align.reset',
  'align.timeout',
  'align.idle',
  'align.active',
];

/** Sink for alignment events: a counter per type (OpenTelemetry, no-op without a provider) plus an optional callback. */
export interface AlignDiagnostics {
  emit(event: AlignEvent): void;
  /** Counts since creation, per event type. */
  counts(): Readonly<Record<AlignEventType, number>>;
}

export interface AlignDiagnosticsOptions {
  /** Side output: receives every event (late records carry the record itself). */
  readonly onEvent?: (event: AlignEvent) => void;
  /** Defaults to the global meter `@sensorfuse/align` (a no-op until a MeterProvider is registered). */
  readonly meter?: Meter;
  /** Extra attributes on every counter increment, e.g. `{ rigId }`. */
  readonly attributes?: Attributes;
}

export function createAlignDiagnostics(options: AlignDiagnosticsOptions = {}): AlignDiagnostics {
  const meter = options.meter ?? metrics.getMeter('@sensorfuse/align');
  const counters = new Map<AlignEventType, Counter>();
  const counts = Object.fromEntries(ALIGN_EVENT_TYPES.map((t) => [t, 0])) as Record<AlignEventType, number>;
  for (const type of ALIGN_EVENT_TYPES) {
    counters.set(
      type,
      meter.createCounter(`sensorfuse.${type}`, { description: `Alignment events of type ${type}`, unit: '{event}' }),
    );
  }
  const extra = options.attributes ?? {};
  return {
    emit(event) {
      counts[event.type] += 1;
      const reason = 'reason' in event ? { reason: event.reason } : {};
      counters.get(event.type)?.add(1, { ...extra, input: event.input, ...reason });
      options.onEvent?.(event);
    },
    counts: () => ({ ...counts }),
  };
}

/** Diagnostics that only count (no callback), for callers that do not pass their own. */
export function defaultDiagnostics(diagnostics: AlignDiagnostics | undefined): AlignDiagnostics {
  return diagnostics ?? createAlignDiagnostics();
}
