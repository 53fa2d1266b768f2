import { randomBytes } from 'node:crypto';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { lidarObjectsSchema, lidarScanSchema, type LidarObjects, type LidarScan } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, MemoryBus, headerText, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadLidarConfig } from './config.js';
import { carScene, scanOf } from './scans.spec-helper.js';
import { createLidarWorker } from './worker.js';

const registry = new SchemaRegistry();
const scans = createCodec<LidarScan>(registry, lidarScanSchema);
const objects = createCodec<LidarObjects>(registry, lidarObjectsSchema);

function read(bus: Bus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

describe('lidar worker on MemoryBus', () => {
  it('turns good sweeps into obs.lidar objects and sends every kind of bad sweep to raw.lidar.dlq with its reason', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([
      { topic: 'raw.lidar', partitions: 3 },
      { topic: 'obs.lidar', partitions: 3 },
    ]);
    const config = loadLidarConfig({ SENSORFUSE_LIDAR_LIDAR_MAX_POINTS: '100000' });
    const worker = createLidarWorker(bus, config);
    worker.start();
    try {
      const good = scans.encode(scanOf(carScene(), 1));
      const newerSchema = { ...lidarScanSchema, fields: [...lidarScanSchema.fields, { name: 'firmware', type: 'string', default: '' }] };
      const unknownWriter = createCodec<LidarScan & { firmware: string }>(new SchemaRegistry(), newerSchema);
      const nanStorm = scanOf(Array.from({ length: 20_000 }, () => [Number.NaN, Number.NaN, Number.NaN, Number.NaN] as [number, number, number, number]), 4);
      const overCap = scanOf(Array.from({ length: 100_001 }, (_, i) => [5 + (i % 100) * 0.01, 0, 0, 0] as [number, number, number, number]), 5);
      const year2200 = { ...scanOf(carScene(), 6), captureTimeUs: 7_258_118_400_000_000 };
      const lying = { ...scanOf(carScene(), 7), pointCount: scanOf(carScene()).pointCount + 10 }; // descriptor claims more points than the bytes hold
      const fieldsPastStride = { ...scanOf(carScene(), 8), pointStride: 12 }; // intensity at byte 12 of a 12-byte point
      const whole = scanOf(carScene(), 8);
      const strideMismatch = { ...whole, pointCount: 1000, data: whole.data.subarray(0, 1000 * 16 + 7) }; // 16 does not divide 16007
      const random = randomBytes(2048);
      random[0] = 0x7b;
      const bad: [string, Buffer][] = [
        ['NotSingleObjectError', random],
        ['TruncatedRecordError', good.subarray(0, good.length >> 1)],
        ['UnknownFingerprintError', unknownWriter.encode({ ...scanOf(carScene(), 3), firmware: '2.1' })],
        ['EmptyScanError', scans.encode(nanStorm)],
        ['PointCountOverCapError', scans.encode(overCap)],
        ['InvalidRecordError', scans.encode(year2200)],
        ['TruncatedPointBufferError', scans.encode(lying)],
        ['PointDescriptorMismatchError', scans.encode(fieldsPastStride)],
        ['BadPointStrideError', scans.encode(strideMismatch)],
      ];
      await bus.publish('raw.lidar', [{ key: 'rig-1', value: good }, ...bad.map(([, value]) => ({ key: 'rig-1', value })), { key: 'rig-1', value: scans.encode(scanOf(carScene(20, -3), 9)) }]);

      const letters = await read(bus, 'raw.lidar.dlq', bad.length);
      expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(bad.map(([reason]) => reason));
      for (const letter of letters) expect(letter.key).toBe('rig-1');
      expect(headerText(letters[4]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toBe('sweep has 100001 points, the cap is 100000');

      const out = (await read(bus, 'obs.lidar', 2)).map((r) => ({ key: r.key, value: objects.decode(r.value) }));
      expect(out.map((o) => o.value.seq)).toEqual([1, 9]);
      expect(out.every((o) => o.key === 'rig-1')).toBe(true);
      // The last sweep's car was built at (20, -3).
      expect(out[1]?.value.objects[0]?.centroid.x).toBeCloseTo(20, 0);
      expect(out[1]?.value.objects[0]?.centroid.y).toBeCloseTo(-3, 0);
      expect(worker.stats()).toMatchObject({ consumed: 11, processed: 2, deadLettered: 9 });
    } finally {
      await worker.drain();
    }
  });
});
