import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from './errors.js';
import { MemoryBus } from './memory-bus.js';
import { PipelinedPublisher } from './pipelined-publisher.js';
import type { Bus, OutgoingRecord } from './types.js';

/** A bus whose publishes are acknowledged (or failed) by the test, one by one. */
function manualBus() {
  const calls: { topic: string; records: readonly OutgoingRecord[]; ack: () => void; fail: (e: unknown) => void }[] = [];
  const bus: Pick<Bus, 'publish'> = {
    publish: (topic, records) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ topic, records, ack: resolve, fail: reject });
      }),
  };
  return { bus, calls };
}

const record = (bytes: number, n = 0): OutgoingRecord => ({ key: 'rig-1', value: Buffer.alloc(bytes, n) });
const settle = () => new Promise((r) => setImmediate(r));

describe('PipelinedPublisher', () => {
  it('returns before the acknowledgement while under the byte limit, and waits for the oldest once over it', async () => {
    const { bus, calls } = manualBus();
    const publisher = new PipelinedPublisher(bus, { maxInFlightBytes: 250 });
    await publisher.publish('raw.a', [record(100)]);
    await publisher.publish('raw.a', [record(100)]);
    expect(calls).toHaveLength(2);
    expect(publisher.inFlightBytes).toBe(200);
    // 300 bytes unacknowledged > 250: this call waits until the first 100 are acknowledged.
    let third = false;
    const p = publisher.publish('raw.a', [record(100)]).then(() => (third = true));
    await settle();
    expect(calls).toHaveLength(3);
    expect(third).toBe(false);
    calls[0]?.ack();
    await p;
    expect(third).toBe(true);
    expect(publisher.inFlightBytes).toBe(200);
  });

  it('reports acknowledgements in call order and flush waits for all of them', async () => {
    const { bus, calls } = manualBus();
    const acked: number[] = [];
    const publisher = new PipelinedPublisher(bus, { onAcknowledged: (_t, rs) => acked.push(rs[0]?.value[0] ?? -1) });
    for (let i = 0; i < 3; i++) await publisher.publish('raw.a', [record(10, i)]);
    let flushed = false;
    const f = publisher.flush().then(() => (flushed = true));
    calls[0]?.ack();
    calls[1]?.ack();
    await settle();
    expect(flushed).toBe(false);
    calls[2]?.ack();
    await f;
    expect(acked).toEqual([0, 1, 2]);
  });

  it('throws the first failed publish at the next publish and at flush: nothing is lost silently', async () => {
    const { bus, calls } = manualBus();
    const publisher = new PipelinedPublisher(bus);
    await publisher.publish('raw.a', [record(10)]);
    const error = new BrokerUnavailableError('broker gone');
    calls[0]?.fail(error);
    await settle();
    await expect(publisher.publish('raw.a', [record(10)])).rejects.toBe(error);
    await expect(publisher.flush()).rejects.toBe(error);
  });

  it('keeps the order of records on a real bus when many publishes are in flight', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 'raw.a', partitions: 1 }]);
    const publisher = new PipelinedPublisher(bus, { maxInFlightBytes: 64 });
    for (let i = 0; i < 100; i++) await publisher.publish('raw.a', [record(8, i)]);
    await publisher.flush();
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      const sub = bus.subscribe({ groupId: 'reader', topics: ['raw.a'], fromBeginning: true }).subscribe((r) => {
        seen.push(r.value[0] ?? -1);
        if (seen.length === 100) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
