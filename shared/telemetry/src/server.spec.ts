import { createServer, type Server } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { SensorfuseError } from '@sensorfuse/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  METRIC,
  PortInUseError,
  createPipelineMetrics,
  createPrometheusMetrics,
  getMeter,
  startTelemetryServer,
  type TelemetryServer,
} from './index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Parameters<typeof startTelemetryServer>[0]): Promise<TelemetryServer> {
  const server = await startTelemetryServer(options);
  cleanups.push(() => server.close());
  return server;
}

async function get(server: TelemetryServer, path: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('telemetry server', () => {
  it('binds to 127.0.0.1 on an ephemeral port and answers /healthz', async () => {
    const server = await start({ port: 0 });
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const health = await get(server, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'alive' });
  });

  it('answers /readyz 503 naming the first failing check until every check passes', async () => {
    const server = await start({ port: 0 });
    let consumerJoined = false;
    server.addReadinessCheck('config', () => true);
    server.addReadinessCheck('kafka-consumer', () => consumerJoined);
    server.addReadinessCheck('redis', () => Promise.resolve(true));

    const before = await get(server, '/readyz');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.text)).toEqual({ status: 'not ready', failing: 'kafka-consumer', reason: 'not ready' });

    consumerJoined = true;
    const after = await get(server, '/readyz');
    expect(after.status).toBe(200);
    expect(JSON.parse(after.text)).toEqual({ status: 'ready', checks: ['config', 'kafka-consumer', 'redis'] });
  });

  it('counts a throwing, rejecting or silent check as failing, with its reason', async () => {
    const server = await start({ port: 0, checkTimeoutMs: 50 });
    const removeThrowing = server.addReadinessCheck('calibration', () => {
      throw new Error('rig r1 has no calibration');
    });
    expect(JSON.parse((await get(server, '/readyz')).text)).toEqual({
      status: 'not ready',
      failing: 'calibration',
      reason: 'rig r1 has no calibration',
    });
    removeThrowing();
    server.addReadinessCheck('redis', () => new Promise<boolean>(() => undefined));
    const silent = await get(server, '/readyz');
    expect(silent.status).toBe(503);
    expect(JSON.parse(silent.text)).toEqual({ status: 'not ready', failing: 'redis', reason: 'no answer within 50 ms' });
  });

  it('is ready with no checks registered, and refuses a duplicate check name', async () => {
    const server = await start({ port: 0 });
    expect((await get(server, '/readyz')).status).toBe(200);
    server.addReadinessCheck('kafka', () => true);
    expect(() => server.addReadinessCheck('kafka', () => true)).toThrow(/already registered/);
  });

  it('serves a counter increment on /metrics in the Prometheus text format', async () => {
    const telemetry = createPrometheusMetrics({ service: 'fusion-worker', registration: 'local' });
    cleanups.push(() => telemetry.shutdown());
    const server = await start({ port: 0, metrics: telemetry });
    const pipeline = createPipelineMetrics(telemetry.getMeter());
    pipeline.framesEmitted.add(1);
    pipeline.framesEmitted.add(2);
    pipeline.modalityMissing.add(1, { modality: 'audio' });

    const scraped = await get(server, '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = scraped.text.split('\n');
    expect(lines).toContain('# TYPE sensorfuse_frames_emitted_total counter');
    expect(lines).toContain('sensorfuse_frames_emitted_total{otel_scope_name="sensorfuse.fusion-worker"} 3');
    expect(lines).toContain('sensorfuse_modality_missing_total{modality="audio",otel_scope_name="sensorfuse.fusion-worker"} 1');
    expect(lines).toContain('target_info{service_name="sensorfuse.fusion-worker"} 1');
  });

  it('feeds /metrics from getMeter() anywhere in the process once registered globally', async () => {
    const telemetry = createPrometheusMetrics({ service: 'lidar-worker' });
    cleanups.push(() => telemetry.shutdown());
    expect(telemetry.registeredGlobally).toBe(true);
    const server = await start({ port: 0, metrics: telemetry });
    getMeter('align').createCounter(METRIC.recordsLate).add(4, { modality: 'camera' });
    expect((await get(server, '/metrics')).text.split('\n')).toContain(
      'sensorfuse_records_late_total{modality="camera",otel_scope_name="sensorfuse.align"} 4',
    );
    await telemetry.shutdown();
    cleanups.pop();
    expect(metrics.getMeterProvider()).not.toBe(telemetry.meterProvider);
  });

  it('answers 404 for /metrics when metrics are off and for unknown paths, 405 for other methods', async () => {
    const server = await start({ port: 0 });
    expect((await get(server, '/metrics')).status).toBe(404);
    expect((await get(server, '/nope')).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('fails with a typed PortInUseError naming host and port when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => { resolve(); })));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');

    const attempt = startTelemetryServer({ port: address.port });
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SensorfuseError);
    expect((error as PortInUseError).context).toEqual({ host: '127.0.0.1', port: address.port });
    expect((error as Error).message).toContain(`127.0.0.1:${address.port}`);
    expect((error as Error).message).toContain('already in use');
  });
});
