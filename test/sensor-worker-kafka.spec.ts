import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { sensorReadingSchema, sensorStateSchema, type SensorReading, type SensorState } from '@sensorfuse/schemas';
import { createSensorWorker, loadSensorConfig } from '@sensorfuse/sensor-worker';
import { DEAD_LETTER_HEADERS, KafkaBus, headerText, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const T0 = 1_767_225_600_000_000;
const S = 1_000_000;
const registry = new SchemaRegistry();
const readings = createCodec<SensorReading>(registry, sensorReadingSchema);
const states = createCodec<SensorState>(registry, sensorStateSchema);

function reading(rigId: string, seq: number, value: number, unit = 'degF'): SensorReading {
  const t = T0 + seq * S;
  return {
    rigId,
    sensorId: 'cabin',
    seq,
    captureTimeUs: t,
    publishTimeUs: t + 400,
    frameId: 'base_link',
    sensorType: 'temperature',
    values: [value],
    unit,
    quality: 'good',
    metadata: { unit: 'degF', minValue: -40, maxValue: 185, resolution: 0, expectedRateHz: 1, noiseStd: 0.2 },
  };
}

function read(bus: KafkaBus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: uniqueName('reader'), topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

it('sensor worker over a real Kafka broker: °F readings to °C states with a lost sample imputed and flagged, a wrong unit to the DLQ', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const input = uniqueName('raw.sensor');
  const output = uniqueName('obs.sensor');
  const worker = createSensorWorker(bus, { ...loadSensorConfig({}), inputTopic: input, outputTopic: output, groupId: uniqueName('sensor-worker') });
  try {
    await bus.admin.createTopics([
      { topic: input, partitions: 3 },
      { topic: output, partitions: 3 },
    ]);
    worker.start();
    // rig-a: seq 0..5 with seq 3 lost; rig-b: a pressure unit on a temperature sensor first, then good readings.
    const rigA = [0, 1, 2, 4, 5].map((k) => reading('rig-a', k, 50 + k * 0.1));
    const rigB = [reading('rig-b', 0, 1013, 'hPa'), ...[1, 2, 3].map((k) => reading('rig-b', k, 59))];
    await bus.publish(input, [...rigA, ...rigB].map((r) => ({ key: r.rigId, value: readings.encode(r) })));

    // rig-a: 5 measured + 1 imputed (seq 3's time); rig-b: 3 measured.
    const out = (await read(bus, output, 9)).map((r) => ({ key: r.key, value: states.decode(r.value) }));
    const a = out.filter((o) => o.value.rigId === 'rig-a').map((o) => o.value);
    expect(a.map((s) => [s.seq, (s.captureTimeUs - T0) / S, s.imputationMethod])).toEqual([
      [0, 0, 'none'],
      [1, 1, 'none'],
      [2, 2, 'none'],
      [3, 3, 'linear'],
      [4, 4, 'none'],
      [5, 5, 'none'],
    ]);
    // 50 °F = 10 °C; 59 °F = 15 °C.
    expect(a[0]?.values[0]).toBeCloseTo(10, 6);
    expect(a.every((s) => s.unit === 'degC')).toBe(true);
    const b = out.filter((o) => o.value.rigId === 'rig-b').map((o) => o.value);
    expect(b.map((s) => s.values[0])).toEqual([15, 15, 15].map((x) => expect.closeTo(x, 6) as unknown as number));
    expect(out.every((o) => o.key === o.value.rigId)).toBe(true);

    const letters = await read(bus, `${input}.dlq`, 1);
    expect(headerText(letters[0]?.headers ?? {}, DEAD_LETTER_HEADERS.errorClass)).toBe('UnitMismatchError');
    expect(letters[0]?.key).toBe('rig-b');
  } finally {
    await worker.drain();
    await bus.close();
  }
});
