import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { record, replay } from '@sensorfuse/recorder';
import { cameraFrameSchema, lidarScanSchema, type CameraFrame, type LidarScan } from '@sensorfuse/schemas';
import { KafkaBus, type ConsumedRecord, type OutgoingRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
const T0 = 1_700_000_000_000_000;

function sweep(rigId: string, seq: number, t: number): Buffer {
  const data = Buffer.alloc(20_000 * 16);
  for (let i = 0; i < data.length; i += 4) data.writeFloatLE(Math.sin(seq + i), i);
  return lidarCodec.encode({
    rigId, sensorId: 'lidar_top', seq, captureTimeUs: t, publishTimeUs: t + 2_000, frameId: 'lidar_top',
    fields: [{ name: 'x', offset: 0, datatype: 'float32', count: 1 }, { name: 'y', offset: 4, datatype: 'float32', count: 1 }, { name: 'z', offset: 8, datatype: 'float32', count: 1 }, { name: 'intensity', offset: 12, datatype: 'float32', count: 1 }],
    pointStride: 16, pointCount: 20_000, data, sweepDurationUs: 100_000,
  });
}

function frame(rigId: string, seq: number, t: number): Buffer {
  return cameraCodec.encode({ rigId, sensorId: 'cam_front', seq, captureTimeUs: t, publishTimeUs: t + 500, frameId: 'cam_front', width: 8, height: 8, encoding: 'gray8', stride: 8, data: Buffer.alloc(64, seq) });
}

function key(r: { topic: string; rawKey: Buffer | null }): string {
  return `${r.topic}/${r.rawKey?.toString() ?? ''}`;
}

describe('recorder over Kafka', () => {
  it('records topics matched by a pattern and replays them byte for byte, in order per rig', async () => {
    const src = `${uniqueName('rec')}.`;
    const dst = `${uniqueName('play')}.`;
    const bus = new KafkaBus({ brokers: kafkaBrokers(), clientId: uniqueName('recorder'), logLevel: 'error' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-kafka-'));
    try {
      const topics = ['raw.lidar', 'raw.camera'];
      await bus.admin.createTopics(topics.map((t) => ({ topic: `${src}${t}`, partitions: 2 })));
      await bus.admin.createTopics(topics.map((t) => ({ topic: `${dst}${src}${t}`, partitions: 2 })));
      const sent: { topic: string; rawKey: Buffer; record: OutgoingRecord }[] = [];
      for (let i = 0; i < 20; i++) {
        for (const rig of ['rig-a', 'rig-b', 'rig-c']) {
          const t = T0 + i * 100_000;
          const trace = { traceparent: `00-${String(i).padStart(32, '0')}-00f067aa0ba902b7-01`, 'content-type': 'application/vnd.sensorfuse.lidarscan' };
          sent.push({ topic: `${src}raw.lidar`, rawKey: Buffer.from(rig), record: { key: rig, value: sweep(rig, i, t), headers: trace } });
          sent.push({ topic: `${src}raw.camera`, rawKey: Buffer.from(rig), record: { key: rig, value: frame(rig, i, t + 10), headers: { 'content-type': 'application/vnd.sensorfuse.cameraframe' } } });
        }
      }
      for (const s of sent) await bus.publish(s.topic, [s.record]);

      // matches raw.lidar and raw.camera but not their .dlq topics; pipeline topics that do not exist are left out
      const recorder = await record({ bus, pattern: /\.raw\.\w+$/, topicPrefix: src, fromBeginning: true, path: path.join(dir, 'kafka.mcap'), chunkBytes: 256 * 1024 });
      expect([...recorder.topics].sort()).toEqual([`${src}raw.camera`, `${src}raw.lidar`]);
      await recorder.whenReceived(sent.length);
      const stats = await recorder.stop();
      expect(stats.messages).toBe(sent.length);

      const result = await replay({ bus, files: stats.files, rate: 'max', topicPrefix: dst }).done;
      expect(result.published).toBe(sent.length);
      const got: ConsumedRecord[] = await firstValueFrom(
        bus.subscribe({ groupId: uniqueName('check'), topics: topics.map((t) => `${dst}${src}${t}`), fromBeginning: true, highWaterMark: Infinity }).pipe(take(sent.length), toArray()),
      );
      // Kafka keeps order per partition, and one rig is one partition: compare per topic and rig
      const expected = new Map<string, typeof sent>();
      for (const s of sent) expected.set(key({ topic: `${dst}${s.topic}`, rawKey: s.rawKey }), [...(expected.get(key({ topic: `${dst}${s.topic}`, rawKey: s.rawKey })) ?? []), s]);
      const actual = new Map<string, ConsumedRecord[]>();
      for (const r of got) actual.set(key(r), [...(actual.get(key(r)) ?? []), r]);
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [k, list] of expected) {
        const back = actual.get(k) ?? [];
        expect(back.length, k).toBe(list.length);
        list.forEach((s, i) => {
          const r = back[i];
          expect(r?.value.equals(s.record.value), `${k}[${String(i)}] value`).toBe(true);
          expect(Object.fromEntries(Object.entries(r?.headers ?? {}).map(([h, v]) => [h, v.toString()])), `${k}[${String(i)}] headers`).toEqual(s.record.headers);
        });
      }
    } finally {
      await bus.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
