import { metrics, type Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { scopeName } from './names.js';

export interface PrometheusMetricsOptions {
  /** Service name; becomes the resource's `service.name` (`sensorfuse.<service>`). */
  readonly service: string;
  /**
   * `'global'` (default) makes this provider the process-wide one, so `getMeter()` anywhere feeds it;
   * `'local'` keeps it private (tests, or a second provider in one process).
   */
  readonly registration?: 'global' | 'local';
}

/** A metrics SDK whose only reader is a pull-based Prometheus exporter (no server of its own). */
export interface PrometheusMetrics {
  readonly meterProvider: MeterProvider;
  /** Whether this provider became the global one (false when `'local'`, or another was registered first). */
  readonly registeredGlobally: boolean;
  /** A meter of this provider, scope `sensorfuse.<service>`. */
  getMeter(service?: string): Meter;
  /** All current metrics in the Prometheus text exposition format. */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Sets up the OpenTelemetry metrics SDK with a Prometheus exporter read on demand; serve
 * `scrape()` from `/metrics` (the telemetry server does). The exporter's own HTTP server is never
 * started: one port per service serves health and metrics.
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': scopeName(options.service) }),
    readers: [exporter],
  });
  const registeredGlobally = options.registration !== 'local' && metrics.setGlobalMeterProvider(meterProvider);
  return {
    meterProvider,
    registeredGlobally,
    getMeter: (service = options.service) => meterProvider.getMeter(scopeName(service)),
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      if (registeredGlobally) metrics.disable();
      await meterProvider.shutdown();
    },
  };
}
