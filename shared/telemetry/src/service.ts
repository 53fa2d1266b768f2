import type { Tracer } from '@opentelemetry/api';
import type { TelemetryConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createPrometheusMetrics, type PrometheusMetrics } from './metrics.js';
import { createPipelineMetrics, getMeter, getTracer, type PipelineMetrics } from './otel.js';
import { startTelemetryServer, type TelemetryServer } from './server.js';

/** Everything a service's composition root needs to observe itself. */
export interface ServiceTelemetry {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: PipelineMetrics;
  /** Undefined when `http.enabled` is false. */
  readonly server: TelemetryServer | undefined;
  /** Closes the server and flushes metrics; call it last when draining. */
  shutdown(): Promise<void>;
}

/**
 * Logger, tracer, standard pipeline metrics (registered as the global meter provider when
 * `metrics` is on) and the /healthz, /readyz, /metrics server, from the service's telemetry config.
 * @throws PortInUseError when the configured port is taken.
 */
export async function startServiceTelemetry(
  service: string,
  config: Readonly<Omit<TelemetryConfig, 'http'>> & { readonly http: Readonly<TelemetryConfig['http']> },
): Promise<ServiceTelemetry> {
  const logger = createLogger(service, { level: config.logLevel });
  const prometheus: PrometheusMetrics | undefined = config.metrics ? createPrometheusMetrics({ service }) : undefined;
  let server: TelemetryServer | undefined;
  try {
    server = config.http.enabled
      ? await startTelemetryServer({
          port: config.http.port,
          host: config.http.host,
          checkTimeoutMs: config.readinessTimeoutMs,
          ...(prometheus === undefined ? {} : { metrics: prometheus }),
        })
      : undefined;
  } catch (error) {
    await prometheus?.shutdown();
    throw error;
  }
  if (server !== undefined) logger.info({ url: server.url }, 'serving /healthz, /readyz, /metrics');
  return {
    logger,
    tracer: getTracer(service),
    metrics: createPipelineMetrics(prometheus?.getMeter() ?? getMeter(service)),
    server,
    async shutdown() {
      await server?.close();
      await prometheus?.shutdown();
    },
  };
}
