import { configLeaves, describeConfig, loadConfig } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startServiceTelemetry, telemetryConfigSchema } from './index.js';

describe('telemetry config', () => {
  it('follows the config rules and maps to per-service environment variables', () => {
    const schema = z.strictObject({ telemetry: telemetryConfigSchema });
    expect(configLeaves(schema).map((leaf) => leaf.key)).toEqual([
      'telemetry.logLevel',
      'telemetry.http.enabled',
      'telemetry.http.host',
      'telemetry.http.port',
      'telemetry.metrics',
      'telemetry.readinessTimeoutMs',
    ]);
    const config = loadConfig(schema, {
      envPrefix: 'SENSORFUSE_LIDAR_',
      env: { SENSORFUSE_LIDAR_TELEMETRY_HTTP_PORT: '0', SENSORFUSE_LIDAR_TELEMETRY_LOG_LEVEL: 'warn' },
    });
    expect(config.telemetry).toEqual({
      logLevel: 'warn',
      http: { enabled: true, host: '127.0.0.1', port: 0 },
      metrics: true,
      readinessTimeoutMs: 2000,
    });
    expect(describeConfig(schema)).toContain('| `telemetry.http.port` | integer | `9464` | [0, 65535] |');
  });

  it('starts logger, metrics and the health server from the config, and shuts them down', async () => {
    const schema = z.strictObject({ telemetry: telemetryConfigSchema });
    const config = loadConfig(schema, {
      envPrefix: 'T_',
      env: { T_TELEMETRY_HTTP_PORT: '0', T_TELEMETRY_LOG_LEVEL: 'silent' },
    });
    const telemetry = await startServiceTelemetry('camera-worker', config.telemetry);
    const url = telemetry.server?.url ?? '';
    telemetry.metrics.recordsDropped.add(2, { stage: 'infer', reason: 'stale' });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text.split('\n')).toContain(
      'sensorfuse_records_dropped_total{stage="infer",reason="stale",otel_scope_name="sensorfuse.camera-worker"} 2',
    );
    await telemetry.shutdown();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
