import { z } from 'zod';

/**
 * The telemetry part of every service's config schema: embed it as `telemetry: telemetryConfigSchema`
 * so port, bind address, log level and metrics follow the same rules (description, default, range)
 * and the same environment mapping (`SENSORFUSE_LIDAR_TELEMETRY_HTTP_PORT`).
 */
export const telemetryConfigSchema = z.strictObject({
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Lowest level written to the JSON log on stdout'),
  http: z.strictObject({
    enabled: z.boolean().default(true).describe('Serve /healthz, /readyz and /metrics'),
    host: z
      .string()
      .min(1)
      .max(255)
      .default('127.0.0.1')
      .describe('Interface the health/metrics server binds to; 0.0.0.0 to expose it beyond the host'),
    port: z.number().int().min(0).max(65535).default(9464).describe('Port of the health/metrics server; 0 picks a free one'),
  }),
  metrics: z.boolean().default(true).describe('Collect OpenTelemetry metrics and serve them on /metrics'),
  readinessTimeoutMs: z
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(2000)
    .describe('A readiness check that does not answer within this time counts as failing'),
});

export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;
