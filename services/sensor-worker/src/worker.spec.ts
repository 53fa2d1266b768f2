import { randomBytes } from 'node:crypto';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { sensorReadingSchema, sensorStateSchema, type SensorReading, type SensorState } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, MemoryBus, headerText, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadSensorConfig } from './config.js';
import { createSensorCoreStats } from './core/sensor-core.js';
import { reading, T0 } from './readings.spec-helper.js';
import { createSensorWorker } from './worker.js';

const registry = new SchemaRegistry();
const readings = createCodec<SensorReading>(registry, sensorReadingSchema);
const states = createCodec<SensorState>(registry, sensorStateSchema);
const S = 1_000_000;

function read(bus: Bus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

describe('sensor worker on MemoryBus', () => {
  it('publishes denoised states per sensor to obs.sensor and sends bad readings to raw.sensor.dlq with the reason', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([
      { topic: 'raw.sensor', partitions: 2 },
      { topic: 'obs.sensor', partitions: 2 },
    ]);
    const stats = createSensorCoreStats();
    const worker = createSensorWorker(bus, loadSensorConfig({}), { stats });
    worker.start();
    try {
      const on3 = (r: SensorReading): SensorReading => ({ ...r, rigId: 'rig-3' });
      const junk = randomBytes(64);
      junk[0] = 0x00;
      const bad: [string, Buffer][] = [
        ['NotSingleObjectError', junk],
        ['InvalidReadingError', readings.encode(on3(reading('t', 0, T0, [Number.NaN], 'degC')))],
        ['UnknownUnitError', readings.encode(on3(reading('t', 0, T0, [20], 'Fahrenheit')))],
        ['UnitMismatchError', readings.encode(on3(reading('t', 0, T0, [20], 'psi')))],
        ['InvalidRecordError', readings.encode(on3(reading('t', 0, 0, [20], 'degC')))],
        ['InvalidRecordError', readings.encode(on3(reading('t', 0, Date.now() * 1000 + 3_600 * S, [20], 'degC')))],
      ];
      // rig-3: one good reading, then its duplicate and one from the past.
      const sequence: [string | undefined, Buffer][] = [
        ...bad,
        [undefined, readings.encode(on3(reading('t', 1, T0 + S, [20], 'degC')))],
        ['DuplicateReadingError', readings.encode(on3(reading('t', 1, T0 + S, [20], 'degC')))],
        ['OutOfOrderReadingError', readings.encode(on3(reading('t', 2, T0, [20], 'degC')))],
      ];
      await bus.publish('raw.sensor', sequence.map(([, value]) => ({ key: 'rig-3', value })));
      // rig-1: a °F cabin sensor and a psi tyre pair at 1 Hz for 10 s.
      const good: SensorReading[] = [];
      for (let i = 0; i < 10; i++) {
        good.push(reading('cabin', i, T0 + i * S, [68 + 0.01 * i], 'degF'));
        good.push(reading('tyres', i, T0 + i * S + 500, [32, 33], 'psi', 'pressure'));
      }
      await bus.publish('raw.sensor', good.map((r) => ({ key: r.rigId, value: readings.encode(r) })));

      const expectedReasons = sequence.flatMap(([reason]) => (reason === undefined ? [] : [reason]));
      const letters = await read(bus, 'raw.sensor.dlq', expectedReasons.length);
      expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(expectedReasons);
      expect(headerText(letters[3]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/measures pressure, expected a unit of temperature/);

      const out = (await read(bus, 'obs.sensor', 21)).map((r) => ({ key: r.key, value: states.decode(r.value) }));
      const cabin = out.filter((o) => o.value.sensorId === 'cabin').map((o) => o.value);
      const tyres = out.filter((o) => o.value.sensorId === 'tyres').map((o) => o.value);
      expect(cabin.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(cabin.every((s) => s.unit === 'degC' && Math.abs((s.values[0] ?? 0) - 20) < 0.1 && !s.imputed)).toBe(true);
      expect(tyres.every((s) => s.unit === 'Pa' && s.values.length === 2 && Math.abs((s.values[1] ?? 0) - 33 * 6894.757) < 1)).toBe(true);
      expect(out.filter((o) => o.value.rigId === 'rig-1').every((o) => o.key === 'rig-1')).toBe(true);
      expect(out.filter((o) => o.value.rigId === 'rig-3').length).toBe(1);
      expect(worker.stats().deadLettered).toBe(expectedReasons.length);
      expect(stats.readings).toBe(21);
    } finally {
      await worker.drain();
    }
  });
});
