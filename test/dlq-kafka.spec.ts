import { randomBytes } from 'node:crypto';
import { SchemaRegistry, createCodec, validateCommonFields } from '@sensorfuse/codec';
import { lidarScanSchema, type LidarScan } from '@sensorfuse/schemas';
import { KafkaBus, consumeDecoded, type ConsumedRecord, type DeadLetterEvent } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const T0 = 1_700_000_000_000_000; // 2023-11-14T22:13:20Z in microseconds

/** A small but real LidarScan: x, y, z, intensity float32 points, as a KITTI sweep stores them. */
function scan(seq: number, points = 2000): LidarScan {
  const f = new Float32Array(points * 4);
  for (let i = 0; i < points; i++) f.set([i * 0.05, -i * 0.02, -1.7, (i % 100) / 100], i * 4);
  return {
    rigId: 'rig-7',
    sensorId: 'lidar_top',
    seq,
    captureTimeUs: T0 + seq * 100_000,
    publishTimeUs: T0 + seq * 100_000 + 2_500,
    frameId: 'lidar_top',
    fields: [
      { name: 'x', offset: 0, datatype: 'float32', count: 1 },
      { name: 'y', offset: 4, datatype: 'float32', count: 1 },
      { name: 'z', offset: 8, datatype: 'float32', count: 1 },
      { name: 'intensity', offset: 12, datatype: 'float32', count: 1 },
    ],
    pointStride: 16,
    pointCount: points,
    data: Buffer.from(f.buffer),
    sweepDurationUs: 100_000,
  };
}

it('sends random bytes, a truncated record, an unknown fingerprint and a schema mismatch to the DLQ and delivers the next good record', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const topic = uniqueName('raw.lidar');
  try {
    await bus.admin.createTopics([{ topic, partitions: 1 }]);

    // The lidar worker's view: it knows the current LidarScan schema and one incompatible writer
    // version (seq as a string) that an old producer once registered.
    const registry = new SchemaRegistry();
    const codec = createCodec<LidarScan>(registry, lidarScanSchema);
    const schema = lidarScanSchema as unknown as { fields: { name: string; type: unknown }[] };
    const incompatible = { ...schema, fields: schema.fields.map((f) => (f.name === 'seq' ? { ...f, type: 'string' } : f)) };
    const mismatchWriter = createCodec<unknown>(registry, incompatible);
    // A producer with a schema version this worker never registered (an added field).
    const newer = { ...schema, fields: [...schema.fields, { name: 'firmware', type: 'string', default: '' }] };
    const unknownWriter = createCodec<unknown>(new SchemaRegistry(), newer);

    const good = codec.encode(scan(1));
    const random = randomBytes(4096);
    random[0] = 0x5a; // anything but the single-object marker C3 01
    const bad: [string, Buffer][] = [
      ['NotSingleObjectError', random],
      ['TruncatedRecordError', good.subarray(0, Math.floor(good.length / 2))],
      ['UnknownFingerprintError', unknownWriter.encode({ ...scan(2), firmware: '1.2.3' })],
      ['SchemaMismatchError', mismatchWriter.encode({ ...scan(3), seq: 'three' })],
    ];
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await bus.publish(
      topic,
      [...bad.map(([, value]) => value), codec.encode(scan(4))].map((value) => ({
        key: 'rig-7',
        value,
        headers: { traceparent, 'content-type': 'application/vnd.sensorfuse.lidarscan+avro' },
      })),
    );

    const letters: DeadLetterEvent[] = [];
    const [decoded] = await firstValueFrom(
      consumeDecoded<LidarScan>(
        bus,
        { groupId: uniqueName('lidar-worker'), topics: [topic], fromBeginning: true },
        {
          decode: (record: ConsumedRecord) => {
            const value = codec.decode(record.value);
            validateCommonFields(value);
            return value;
          },
          onDeadLetter: (event) => letters.push(event),
        },
      ).pipe(take(1), toArray()),
    );
    expect(decoded?.value.seq).toBe(4);
    expect(decoded?.value.data.equals(scan(4).data)).toBe(true);
    expect(decoded?.record.offset).toBe('4');
    expect(letters.map((l) => (l.error as Error).name)).toEqual(bad.map(([name]) => name));

    const dlq = await firstValueFrom(
      bus.subscribe({ groupId: uniqueName('dlq-reader'), topics: [`${topic}.dlq`], fromBeginning: true }).pipe(take(bad.length), toArray()),
    );
    dlq.forEach((letter, i) => {
      const [reason, value] = bad[i] ?? ['', Buffer.alloc(0)];
      expect(letter.key).toBe('rig-7');
      expect(letter.value.equals(value)).toBe(true);
      expect(letter.headers.traceparent?.toString()).toBe(traceparent);
      expect(letter.headers['x-error-class']?.toString()).toBe(reason);
      expect(letter.headers['x-error-message']?.toString().length).toBeGreaterThan(10);
      expect(letter.headers['x-source-topic']?.toString()).toBe(topic);
      expect(letter.headers['x-source-partition']?.toString()).toBe('0');
      expect(letter.headers['x-source-offset']?.toString()).toBe(String(i));
    });
  } finally {
    await bus.close();
  }
});
