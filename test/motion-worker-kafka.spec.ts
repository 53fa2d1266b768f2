import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { createMotionWorker, loadMotionConfig } from '@sensorfuse/motion-worker';
import { egoStateSchema, motionSampleSchema, type EgoState, type MotionSample } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, KafkaBus, headerText, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const T0 = 1_767_225_600_000_000;
const G = 9.80665;
const registry = new SchemaRegistry();
const samples = createCodec<MotionSample>(registry, motionSampleSchema);
const states = createCodec<EgoState>(registry, egoStateSchema);

function imu(k: number, rigId: string, accel: [number, number, number] = [0, 0, G]): MotionSample {
  const t = T0 + k * 10_000;
  return {
    rigId,
    sensorId: 'imu0',
    seq: k,
    captureTimeUs: t,
    publishTimeUs: t + 300,
    frameId: 'imu0',
    payload: {
      'sensorfuse.ImuSample': {
        linearAcceleration: { x: accel[0], y: accel[1], z: accel[2] },
        angularVelocity: { x: 0, y: 0, z: 0 },
        magneticField: { x: 0, y: 2e-5, z: -4.3e-5 },
        orientation: null,
      },
    },
  };
}

function read(bus: KafkaBus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: uniqueName('reader'), topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

it('motion worker over a real Kafka broker: IMU samples to ego states at 10 Hz per rig, a NaN sample with nothing to impute from to the DLQ', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const input = uniqueName('raw.motion');
  const output = uniqueName('obs.motion');
  const base = loadMotionConfig({ SENSORFUSE_MOTION_MOTION_OUTPUT_RATE_HZ: '10' });
  const worker = createMotionWorker(bus, { ...base, inputTopic: input, outputTopic: output, groupId: uniqueName('motion-worker') });
  try {
    await bus.admin.createTopics([
      { topic: input, partitions: 3 },
      { topic: output, partitions: 3 },
    ]);
    worker.start();
    const nan = imu(0, 'rig-b', [Number.NaN, 0, G]);
    const records = [nan, ...Array.from({ length: 50 }, (_, k) => imu(k, 'rig-a')), ...Array.from({ length: 50 }, (_, k) => imu(k + 1, 'rig-b'))];
    await bus.publish(input, records.map((s) => ({ key: s.rigId, value: samples.encode(s) })));

    // 0.5 s of 100 Hz IMU at 10 Hz output: states at k = 0, 10, 20, 30, 40 for each rig (hand count).
    const out = (await read(bus, output, 10)).map((r) => ({ key: r.key, value: states.decode(r.value) }));
    for (const rig of ['rig-a', 'rig-b']) {
      const mine = out.filter((o) => o.value.rigId === rig);
      expect(mine.map((o) => o.value.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(mine.every((o) => o.key === rig)).toBe(true);
    }
    const letters = await read(bus, `${input}.dlq`, 1);
    expect(headerText(letters[0]?.headers ?? {}, DEAD_LETTER_HEADERS.errorClass)).toBe('InvalidSampleValueError');
    expect(letters[0]?.key).toBe('rig-b');
  } finally {
    await worker.drain();
    await bus.close();
  }
});
