import type { Meter } from '@opentelemetry/api';
import { PoisonRecordError, TransientError } from '@sensorfuse/errors';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { consumeDecoded, type DecodedRecord } from './dead-letter.js';
import { MemoryBus } from './memory-bus.js';
import type { Bus, ConsumedRecord } from './types.js';

class BadReading extends PoisonRecordError {}
class RegistryDown extends TransientError {}

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function setup(): Promise<Bus> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([{ topic: 'raw.sensor', partitions: 2 }]);
  return bus;
}

function readAll(bus: Bus, topic: string, count: number, groupId = 'reader'): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

/** Accepts "ok:<n>" and rejects "bad" as a poison record, like a codec plus validation would. */
function decode(record: ConsumedRecord): number {
  const text = record.value.toString();
  if (!text.startsWith('ok:')) throw new BadReading(`expected "ok:<n>", found "${text}"`);
  return Number(text.slice(3));
}

describe('decodeOrDeadLetter', () => {
  it('sends a poison record to <topic>.dlq with its key, value, headers and the reason, and delivers the next one', async () => {
    const bus = await setup();
    const counted: [number, Record<string, unknown>][] = [];
    const meter = { createCounter: () => ({ add: (n: number, attrs: Record<string, unknown>) => counted.push([n, attrs]) }) } as unknown as Meter;
    await bus.publish('raw.sensor', [
      { key: 'rig-1', value: Buffer.from('bad'), headers: { traceparent } },
      { key: 'rig-1', value: Buffer.from('ok:7') },
    ]);
    const [good] = await firstValueFrom(
      consumeDecoded(bus, { groupId: 'sensor-worker', topics: ['raw.sensor'], fromBeginning: true }, { decode, meter }).pipe(take(1), toArray()),
    );
    expect(good?.value).toBe(7);
    const [letter] = await readAll(bus, 'raw.sensor.dlq', 1);
    expect(letter?.key).toBe('rig-1');
    expect(letter?.value.toString()).toBe('bad');
    expect(letter?.headers.traceparent?.toString()).toBe(traceparent);
    expect(letter?.headers['x-error-class']?.toString()).toBe('BadReading');
    expect(letter?.headers['x-error-message']?.toString()).toBe('expected "ok:<n>", found "bad"');
    expect(letter?.headers['x-source-topic']?.toString()).toBe('raw.sensor');
    expect(letter?.headers['x-source-partition']?.toString()).toBe(String(good?.record.partition));
    expect(letter?.headers['x-source-offset']?.toString()).toBe('0');
    expect(counted).toEqual([[1, { 'messaging.destination.name': 'raw.sensor', 'error.type': 'BadReading' }]]);
    await bus.close();
  });

  it('dead-letters an unexpected exception from the decoder as well', async () => {
    const bus = await setup();
    await bus.publish('raw.sensor', [
      { key: 'rig-2', value: Buffer.from('{') },
      { key: 'rig-2', value: Buffer.from('[1]') },
    ]);
    const parsed = await firstValueFrom(
      consumeDecoded(bus, { groupId: 'g', topics: ['raw.sensor'], fromBeginning: true }, { decode: (r) => JSON.parse(r.value.toString()) as unknown }).pipe(
        take(1),
        toArray(),
      ),
    );
    expect(parsed.map((d) => d.value)).toEqual([[1]]);
    const [letter] = await readAll(bus, 'raw.sensor.dlq', 1);
    expect(letter?.headers['x-error-class']?.toString()).toBe('SyntaxError');
    await bus.close();
  });

  it('retries a retriable failure with back-off and never dead-letters it', async () => {
    const bus = await setup();
    await bus.publish('raw.sensor', [{ key: 'rig-1', value: Buffer.from('ok:1') }]);
    let calls = 0;
    const flaky = (record: ConsumedRecord): number => {
      calls += 1;
      if (calls < 3) throw new RegistryDown('schema registry unreachable');
      return decode(record);
    };
    const letters: unknown[] = [];
    const [decoded] = await firstValueFrom(
      consumeDecoded(
        bus,
        { groupId: 'g', topics: ['raw.sensor'], fromBeginning: true },
        { decode: flaky, initialBackoffMs: 1, onDeadLetter: (e) => letters.push(e) },
      ).pipe(take(1), toArray()),
    );
    expect(decoded?.value).toBe(1);
    expect(calls).toBe(3);
    expect(letters).toEqual([]);
    await bus.close();
  });

  it('fails the stream after the last retry and leaves the record uncommitted for redelivery', async () => {
    const bus = await setup();
    await bus.publish('raw.sensor', [{ key: 'rig-1', value: Buffer.from('ok:1') }]);
    const failing = (): number => {
      throw new RegistryDown('schema registry unreachable');
    };
    const error: unknown = await firstValueFrom(
      consumeDecoded(bus, { groupId: 'g', topics: ['raw.sensor'], fromBeginning: true }, { decode: failing, initialBackoffMs: 1, maxRetries: 2 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryDown);
    expect(await bus.admin.partitionCount('raw.sensor.dlq')).toBe(2);
    const again = await readAll(bus, 'raw.sensor', 1, 'g');
    expect(again[0]?.value.toString()).toBe('ok:1');
    await bus.close();
  });

  it('does not commit a dead letter past a good record that is still being processed', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 'raw.sensor', partitions: 1 }]);
    await bus.publish('raw.sensor', [
      { key: 'rig-1', value: Buffer.from('ok:0') },
      { key: 'rig-1', value: Buffer.from('bad') },
      { key: 'rig-1', value: Buffer.from('ok:2') },
    ]);
    const held: DecodedRecord<number>[] = [];
    const sub = consumeDecoded(bus, { groupId: 'g', topics: ['raw.sensor'], fromBeginning: true }, { decode }).subscribe((d) => held.push(d));
    while (held.length < 2) await new Promise((resolve) => setImmediate(resolve));
    // ok:0 is not committed yet, so the dead letter at offset 1 must not be either.
    sub.unsubscribe();
    const redelivered = await readAll(bus, 'raw.sensor', 3, 'g');
    expect(redelivered.map((r) => r.value.toString())).toEqual(['ok:0', 'bad', 'ok:2']);

    // When the worker finishes ok:0, the group moves past the dead letter too.
    const second: DecodedRecord<number>[] = [];
    const sub2 = consumeDecoded(bus, { groupId: 'g2', topics: ['raw.sensor'], fromBeginning: true }, { decode }).subscribe((d) => second.push(d));
    while (second.length < 2) await new Promise((resolve) => setImmediate(resolve));
    await second[0]?.commit();
    sub2.unsubscribe();
    await bus.publish('raw.sensor', [{ key: 'rig-1', value: Buffer.from('ok:3') }]);
    const rest = await readAll(bus, 'raw.sensor', 2, 'g2');
    expect(rest.map((r) => r.value.toString())).toEqual(['ok:2', 'ok:3']);
    await bus.close();
  });
});
