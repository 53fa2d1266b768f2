import { createServer } from 'node:net';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { lidarObjectsSchema, lidarScanSchema, type LidarObjects, type LidarScan } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BinaryKind, decodeBinaryFrame, type StateMessage } from './core/protocol.js';
import { PortInUseError } from './errors.js';
import { startDashboard, type Dashboard } from './server.js';

const T0 = 1_767_225_600_000_000;
const registry = new SchemaRegistry();
const scanCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const objectsCodec = createCodec<LidarObjects>(registry, lidarObjectsSchema);

/** 10 000 points on a line x = i / 100, y = 2, z = -1 (stride 16: x, y, z, intensity). */
function lineScan(): LidarScan {
  const n = 10_000;
  const f = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) f.set([i / 100, 2, -1, 0.5], i * 4);
  return {
    rigId: 'rig-1', sensorId: 'lidar_top', seq: 1, captureTimeUs: T0, publishTimeUs: T0 + 1000, frameId: 'lidar_top',
    fields: ['x', 'y', 'z', 'intensity'].map((name, i) => ({ name, offset: i * 4, datatype: 'float32' as const, count: 1 })),
    pointStride: 16, pointCount: n, data: Buffer.from(f.buffer), sweepDurationUs: 100_000,
  };
}

const oneCar: LidarObjects = {
  rigId: 'rig-1', sensorId: 'lidar_top', seq: 1, captureTimeUs: T0, publishTimeUs: T0 + 12_000, frameId: 'lidar_top',
  objects: [{ clusterId: 0, centroid: { x: 10, y: -3, z: -0.8 }, extent: { x: 4.2, y: 1.8, z: 1.5 }, yawRad: 0.25, pointCount: 321, meanIntensity: 0.4, classHint: 'car' }],
  inputPointCount: 10_000, noiseFraction: 0.01, reliability: 0.9,
};

const open: Dashboard[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

describe('startDashboard', () => {
  it('fails with PortInUseError naming the port when another process holds it', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const attempt = startDashboard({ bus: new MemoryBus(), port: address.port });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(`port ${String(address.port)} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('serves the page and its bundle, and answers 404 elsewhere', async () => {
    const d = await startDashboard({ bus: new MemoryBus(), port: 0 });
    open.push(d);
    const page = await fetch(d.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<canvas id="bev"');
    const script = await fetch(new URL('app.js', d.url));
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(new URL('../../etc/passwd', d.url))).status).toBe(404);
  });

  it('pushes downsampled points, the objects and the latency of what the bus carries', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics(['raw.lidar', 'obs.lidar'].map((topic) => ({ topic, partitions: 1 })));
    const d = await startDashboard({ bus, port: 0, maxPoints: 3000, frameRateHz: 20 });
    open.push(d);
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}ws`);
    const frames: (Buffer | StateMessage)[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => frames.push(isBinary ? data : (JSON.parse(data.toString('utf8')) as StateMessage)));
    await new Promise((resolve) => ws.once('open', resolve));
    await bus.publish('raw.lidar', [{ key: 'rig-1', value: scanCodec.encode(lineScan()) }]);
    await bus.publish('obs.lidar', [{ key: 'rig-1', value: objectsCodec.encode(oneCar) }]);

    const isReady = (f: Buffer | StateMessage): f is StateMessage => !Buffer.isBuffer(f) && (f.objects?.items.length ?? 0) > 0 && f.lidar !== null;
    while (!frames.some(isReady)) await new Promise((resolve) => setTimeout(resolve, 20));
    ws.close();

    const binary = frames.filter((f): f is Buffer => Buffer.isBuffer(f)).map((b) => decodeBinaryFrame(new Uint8Array(b).buffer));
    const points = binary.find((b) => b?.kind === BinaryKind.points);
    // 10 000 points, at most 3000: every ceil(10000 / 3000) = 4th point → 2500 points, (i*4/100, 2, -1).
    expect(points?.count).toBe(2500);
    const xyz = new Float32Array(points?.payload.slice().buffer ?? new ArrayBuffer(0));
    expect([xyz[0], xyz[1], xyz[2]]).toEqual([0, 2, -1]);
    expect(xyz[3]).toBeCloseTo(0.04, 6);
    expect(xyz[3 * 2499]).toBeCloseTo(99.96, 4);

    const state = frames.find(isReady) as StateMessage;
    expect(state.lidar).toMatchObject({ frameId: 'lidar_top', pointCount: 10_000, shownPoints: 2500 });
    expect(state.objects?.items).toEqual([{ x: 10, y: -3, lengthM: 4.2, widthM: 1.8, yawRad: 0.25, objectClass: 'car', pointCount: 321 }]);
    // One sample of 12 ms: bucket (10, 20] is index 4 of edges [1, 2, 5, 10, 20, …].
    expect(state.latency['obs.lidar']?.counts[4]).toBe(1);
    expect(state.latency['obs.lidar']?.p50Ms).toBe(12);
    const health = Object.fromEntries(state.health.map((h) => [h.topic, h]));
    expect(health['raw.lidar']).toMatchObject({ total: 1, present: true, deadLetters: 0 });
    expect(health['raw.camera']).toMatchObject({ total: 0, present: false });
  });
});
