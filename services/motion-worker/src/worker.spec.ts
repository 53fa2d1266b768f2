import { randomBytes } from 'node:crypto';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { egoStateSchema, motionSampleSchema, type EgoState, type MotionSample } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, MemoryBus, headerText, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadMotionConfig } from './config.js';
import { G, T0, gnss, imu, standingStill } from './samples.spec-helper.js';
import { createMotionWorker } from './worker.js';

const registry = new SchemaRegistry();
const samples = createCodec<MotionSample>(registry, motionSampleSchema);
const states = createCodec<EgoState>(registry, egoStateSchema);

function read(bus: Bus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

describe('motion worker on MemoryBus', () => {
  it('publishes one ego-state stream per rig and sends bad samples to raw.motion.dlq with the reason', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([
      { topic: 'raw.motion', partitions: 2 },
      { topic: 'obs.motion', partitions: 2 },
    ]);
    // 10 Hz output: 1 s of samples per rig gives 10 states each.
    const worker = createMotionWorker(bus, loadMotionConfig({ SENSORFUSE_MOTION_MOTION_OUTPUT_RATE_HZ: '10' }));
    worker.start();
    try {
      const good = samples.encode(imu(T0, [0, 0, G]));
      const newer = { ...motionSampleSchema, fields: [...motionSampleSchema.fields, { name: 'temperatureC', type: 'double', default: 20 }] };
      const unknownWriter = createCodec<MotionSample & { temperatureC: number }>(new SchemaRegistry(), newer);
      const junk = randomBytes(100);
      junk[1] = 0x00;
      const bad: [string, Buffer][] = [
        // Before any good IMU sample of rig-3 there is nothing to impute a NaN from.
        ['InvalidSampleValueError', samples.encode(imu(T0, [Number.NaN, Number.NaN, Number.NaN], [Number.NaN, 0, 0], 0, 'rig-3'))],
        ['NotSingleObjectError', junk],
        ['TruncatedRecordError', good.subarray(0, 30)],
        ['UnknownFingerprintError', unknownWriter.encode({ ...imu(T0, [0, 0, G]), temperatureC: 31 })],
        ['InvalidRecordError', samples.encode({ ...imu(T0, [0, 0, G], [0, 0, 0], 0, 'rig-3'), captureTimeUs: 0 })],
        ['InvalidTimestampError', samples.encode(imu(Date.now() * 1000 + 3_600_000_000, [0, 0, G], [0, 0, 0], 1, 'rig-3'))],
        ['InvalidSampleValueError', samples.encode(gnss(T0, 123, 11, 100, 0, 'rig-3'))],
      ];
      const rig1 = standingStill(1, true, 48.1, 11.5, T0, 'rig-1');
      // rig-2: IMU only, no magnetometer, no GNSS.
      const rig2 = Array.from({ length: 100 }, (_, k) => imu(T0 + k * 10_000, [0, 0, G], [0, 0, 0], k, 'rig-2'));
      await bus.publish('raw.motion', bad.map(([, value]) => ({ key: 'rig-3', value })));
      await bus.publish('raw.motion', [...rig1, ...rig2].map((s) => ({ key: s.rigId, value: samples.encode(s) })));

      const letters = await read(bus, 'raw.motion.dlq', bad.length);
      expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(bad.map(([reason]) => reason));
      expect(headerText(letters[5]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/after it was received/);

      const out = (await read(bus, 'obs.motion', 20)).map((r) => ({ key: r.key, value: states.decode(r.value) }));
      for (const rig of ['rig-1', 'rig-2']) {
        const mine = out.filter((o) => o.value.rigId === rig);
        expect(mine.map((o) => o.value.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(mine.every((o) => o.key === rig)).toBe(true);
      }
      // rig-1 has fixes and a magnetometer: measurements are fused (not prediction only); rig-2 has only its IMU.
      expect(out.filter((o) => o.value.rigId === 'rig-1').some((o) => !o.value.predictOnly)).toBe(true);
      expect(out.filter((o) => o.value.rigId === 'rig-2').every((o) => o.value.predictOnly)).toBe(true);
      // Three estimators: rig-3's was made by its first (rejected) sample.
      expect(worker.stats()).toMatchObject({ deadLettered: bad.length, cores: 3 });

      // A good sample of the rig whose samples were all rejected still comes out afterwards.
      await bus.publish('raw.motion', [{ key: 'rig-3', value: samples.encode(imu(T0 + 5_000_000, [0, 0, G], [0, 0, 0], 9, 'rig-3')) }]);
      const all = await read(bus, 'obs.motion', 21);
      expect(all.map((r) => states.decode(r.value)).filter((s) => s.rigId === 'rig-3')).toHaveLength(1);
    } finally {
      await worker.drain();
    }
  });
});
