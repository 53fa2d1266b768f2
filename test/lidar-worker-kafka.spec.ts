import { randomBytes } from 'node:crypto';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { createLidarWorker, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { lidarObjectsSchema, lidarScanSchema, type LidarObjects, type LidarScan } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, KafkaBus, headerText, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const T0 = 1_767_225_600_000_000;
const registry = new SchemaRegistry();
const scans = createCodec<LidarScan>(registry, lidarScanSchema);
const objects = createCodec<LidarObjects>(registry, lidarObjectsSchema);
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Road 1.73 m below the sensor plus one 4.0 × 1.8 m box (faces sampled every 0.1 m) centred at (cx, cy). */
function carSweep(seq: number, cx: number, cy: number): LidarScan {
  const pts: number[] = [];
  for (let x = 4; x <= 30; x += 0.2) for (let y = -12; y <= 12; y += 0.2) pts.push(x, y, -1.73, 0.3);
  for (let z = -1.43; z <= -0.23; z += 0.1) {
    for (let s = -2; s <= 2; s += 0.1) pts.push(cx + s, cy - 0.9, z, 0.6, cx + s, cy + 0.9, z, 0.6);
    for (let s = -0.9; s <= 0.9; s += 0.1) pts.push(cx - 2, cy + s, z, 0.6, cx + 2, cy + s, z, 0.6);
  }
  const data = Buffer.from(new Float32Array(pts).buffer);
  return {
    rigId: 'rig-k',
    sensorId: 'lidar_top',
    seq,
    captureTimeUs: T0 + seq * 100_000,
    publishTimeUs: T0 + seq * 100_000 + 2_000,
    frameId: 'lidar_top',
    fields: ['x', 'y', 'z', 'intensity'].map((name, i) => ({ name, offset: i * 4, datatype: 'float32' as const, count: 1 })),
    pointStride: 16,
    pointCount: pts.length / 4,
    data,
    sweepDurationUs: 100_000,
  };
}

function read(bus: KafkaBus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: uniqueName('reader'), topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

it('lidar worker over a real Kafka broker: sweeps to objects keyed by rig with the trace continued, bad sweeps to the DLQ', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const input = uniqueName('raw.lidar');
  const output = uniqueName('obs.lidar');
  const config = { ...loadLidarConfig({}), inputTopic: input, outputTopic: output, groupId: uniqueName('lidar-worker') };
  const worker = createLidarWorker(bus, config);
  try {
    await bus.admin.createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    worker.start();
    const nan = { ...carSweep(2, 10, 0), data: Buffer.from(new Float32Array(4000).fill(Number.NaN).buffer), pointCount: 1000 };
    const junk = randomBytes(512);
    junk[0] = 0x01;
    await bus.publish(input, [
      { key: 'rig-k', value: scans.encode(carSweep(1, 12, 4)), headers: { traceparent: TRACEPARENT } },
      { key: 'rig-k', value: junk },
      { key: 'rig-k', value: scans.encode(nan) },
      { key: 'rig-k', value: scans.encode(carSweep(3, 20, -3)) },
    ]);
    const out = await read(bus, output, 2);
    const decoded = out.map((r) => objects.decode(r.value));
    expect(decoded.map((d) => d.seq)).toEqual([1, 3]);
    expect(out.map((r) => r.key)).toEqual(['rig-k', 'rig-k']);
    // Built at (12, 4) and (20, -3).
    expect(decoded[0]?.objects[0]?.centroid.x).toBeCloseTo(12, 0);
    expect(decoded[1]?.objects[0]?.centroid.y).toBeCloseTo(-3, 0);
    expect(headerText(out[0]?.headers ?? {}, 'traceparent')?.split('-')[1]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');

    const letters = await read(bus, `${input}.dlq`, 2);
    expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(['NotSingleObjectError', 'EmptyScanError']);
    expect(letters[0]?.value.equals(junk)).toBe(true);
  } finally {
    await worker.drain();
    await bus.close();
  }
});

it('a restarted lidar worker resumes after the last committed sweep: nothing lost, nothing reprocessed', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const input = uniqueName('raw.lidar');
  const output = uniqueName('obs.lidar');
  const config = { ...loadLidarConfig({}), inputTopic: input, outputTopic: output, groupId: uniqueName('lidar-worker') };
  try {
    await bus.admin.createTopics([
      { topic: input, partitions: 1 },
      { topic: output, partitions: 1 },
    ]);
    await bus.publish(input, [1, 2].map((seq) => ({ key: 'rig-k', value: scans.encode(carSweep(seq, 12, 4)) })));
    const first = createLidarWorker(bus, config);
    first.start();
    await read(bus, output, 2);
    await first.drain();

    await bus.publish(input, [3, 4].map((seq) => ({ key: 'rig-k', value: scans.encode(carSweep(seq, 12, 4)) })));
    const second = createLidarWorker(bus, config);
    second.start();
    const all = await read(bus, output, 4);
    await second.drain();
    expect(all.map((r) => objects.decode(r.value).seq)).toEqual([1, 2, 3, 4]);
    expect(second.stats().consumed).toBe(2);
  } finally {
    await bus.close();
  }
});
