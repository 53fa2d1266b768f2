import { randomBytes, randomUUID } from 'node:crypto';
import { concatMap, firstValueFrom, take, toArray, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordTooLargeError, TopicMismatchError, TransportStateError, UnknownTopicError } from '../errors.js';
import { partitionForKey } from '../partitioner.js';
import type { Bus, ConsumedRecord, SubscribeOptions } from '../types.js';

export type MakeBus = () => Bus | Promise<Bus>;

/** `<prefix>-<random>`: topics and groups never collide between tests, even on a shared broker. */
function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 13)}`;
}

/** Receive `count` records, committing those `commitWhen` selects (awaited before the next), then leave. */
function receive(
  bus: Bus,
  options: SubscribeOptions,
  count: number,
  commitWhen: (record: ConsumedRecord, index: number) => boolean = () => false,
): Promise<ConsumedRecord[]> {
  let index = 0;
  const stream: Observable<ConsumedRecord> = bus.subscribe(options).pipe(
    concatMap(async (record) => {
      if (commitWhen(record, index++)) await record.commit();
      return record;
    }),
    take(count),
    toArray(),
    concatMap((records) => records),
  );
  return firstValueFrom(stream.pipe(toArray()));
}

const text = (record: ConsumedRecord): string => record.value.toString('utf8');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A LIDAR sweep the size Kafka's default limit cannot carry: 524,288 points of little-endian float32
 * x, y, z, intensity (16 bytes each) = 8 MiB, ranges as a 64-beam spinning LIDAR sees them.
 */
function lidarSweep8MiB(): Buffer {
  const points = 524_288;
  const f = new Float32Array(points * 4);
  for (let i = 0; i < points; i++) {
    const azimuth = (i / points) * 2 * Math.PI * 10;
    const elevation = (((i % 64) - 48) * Math.PI) / 180 / 2;
    const range = 2 + ((i * 7919) % 8000) / 100;
    f[i * 4] = range * Math.cos(elevation) * Math.cos(azimuth);
    f[i * 4 + 1] = range * Math.cos(elevation) * Math.sin(azimuth);
    f[i * 4 + 2] = range * Math.sin(elevation);
    f[i * 4 + 3] = (i % 256) / 255;
  }
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

/**
 * The behaviour every Bus must show, run against MemoryBus (unit) and KafkaBus (integration, real
 * broker). `makeBus` is called once per test; the suite closes what it made.
 */
export function describeBusConformance(name: string, makeBus: MakeBus): void {
  describe(`Bus conformance: ${name}`, () => {
    const made: Bus[] = [];
    const newBus = async (): Promise<Bus> => {
      const bus = await makeBus();
      made.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map((bus) => bus.close()));
    });

    it('creates topics idempotently, each with a dead-letter topic of the same shape', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-admin');
      await bus.admin.createTopics([{ topic, partitions: 3 }]);
      await bus.admin.createTopics([{ topic, partitions: 3 }]);
      expect(await bus.admin.partitionCount(topic)).toBe(3);
      expect(await bus.admin.partitionCount(`${topic}.dlq`)).toBe(3);
      expect(await bus.admin.partitionCount(uniqueName('conf-absent'))).toBeUndefined();
      // Topics are never auto-created: publishing to or subscribing to a missing one fails fast.
      const absent = uniqueName('conf-absent');
      await expect(bus.publish(absent, [{ key: 'rig-1', value: Buffer.from('x') }])).rejects.toBeInstanceOf(UnknownTopicError);
      await expect(receive(bus, { groupId: uniqueName('g'), topics: [absent] }, 1)).rejects.toBeInstanceOf(UnknownTopicError);
      expect(await bus.admin.partitionCount(absent)).toBeUndefined();
      await expect(bus.admin.createTopics([{ topic, partitions: 5 }])).rejects.toBeInstanceOf(TopicMismatchError);
    });

    it("delivers key, value and headers untouched, keyed records on Kafka's murmur2 partition", async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-basic');
      await bus.admin.createTopics([{ topic, partitions: 7 }]);
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const binary = Buffer.from([0, 255, 1, 254]);
      // murmur2 values of these keys from Apache Kafka's own UtilsTest.testMurmur2.
      const known: [string, number][] = [
        ['21', -973932308],
        ['foobar', -790332482],
        ['a-little-bit-long-string', -985981536],
        ['abc', 479470107],
      ];
      await bus.publish(
        topic,
        known.map(([key], i) => ({ key, value: Buffer.from(`v${String(i)}`), headers: { traceparent, 'x-bin': binary } })),
      );
      const records = await receive(bus, { groupId: uniqueName('g'), topics: [topic], fromBeginning: true }, known.length);
      const byKey = new Map(records.map((r) => [r.key, r]));
      known.forEach(([key, hash], i) => {
        const r = byKey.get(key);
        expect(r?.partition).toBe((hash & 0x7fffffff) % 7);
        expect(r?.value.toString()).toBe(`v${String(i)}`);
        expect(r?.rawKey?.toString()).toBe(key);
        expect(r?.headers.traceparent?.toString()).toBe(traceparent);
        expect(r?.headers['x-bin']).toEqual(binary);
        expect(r?.topic).toBe(topic);
        expect(Number.isInteger(r?.timestampUs)).toBe(true);
      });
    });

    it('carries an 8 MiB LIDAR sweep end to end', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-large');
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      const sweep = lidarSweep8MiB();
      expect(sweep.byteLength).toBe(8 * 1024 * 1024);
      await bus.publish(topic, [{ key: 'rig-1', value: sweep, headers: { 'content-type': 'application/vnd.sensorfuse.lidarscan' } }]);
      await bus.publish(topic, [{ key: 'rig-1', value: Buffer.from('after') }]);
      const [big, after] = await receive(bus, { groupId: uniqueName('g'), topics: [topic], fromBeginning: true }, 2);
      expect(big?.value.byteLength).toBe(sweep.byteLength);
      expect(big?.value.equals(sweep)).toBe(true);
      expect(after && text(after)).toBe('after');
    });

    it('keeps per-key order under concurrent publishing', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-order');
      await bus.admin.createTopics([{ topic, partitions: 4 }]);
      const keys = Array.from({ length: 8 }, (_, i) => `rig-${String(i)}`);
      const perKey = 40;
      const sends: Promise<void>[] = [];
      for (let seq = 0; seq < perKey; seq++) {
        for (const key of keys) sends.push(bus.publish(topic, [{ key, value: Buffer.from(String(seq)) }]));
      }
      await Promise.all(sends);
      const records = await receive(bus, { groupId: uniqueName('g'), topics: [topic], fromBeginning: true }, keys.length * perKey);
      for (const key of keys) {
        const mine = records.filter((r) => r.key === key);
        expect(mine.map((r) => Number(text(r)))).toEqual(Array.from({ length: perKey }, (_, i) => i));
        expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      }
    });

    it('redelivers uncommitted records to the next subscription of the group and respects commits', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-redeliver');
      const groupId = uniqueName('g');
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'rig-1', value: Buffer.from(String(i)) })));
      // The first consumer commits records 0..3, sees all ten, and stops without committing the rest.
      const first = await receive(bus, { groupId, topics: [topic], fromBeginning: true }, 10, (_, i) => i < 4);
      expect(first.map(text)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      const second = await receive(bus, { groupId, topics: [topic], fromBeginning: true }, 6);
      expect(second.map(text)).toEqual(['4', '5', '6', '7', '8', '9']);
    });

    it('never moves a committed offset backwards', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-ordered-commit');
      const groupId = uniqueName('g');
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'rig-1', value: Buffer.from(String(i)) })));
      const first: ConsumedRecord[] = [];
      let resolveTen: () => void = () => undefined;
      const ten = new Promise<void>((resolve) => {
        resolveTen = resolve;
      });
      const subscription = bus.subscribe({ groupId, topics: [topic], fromBeginning: true }).subscribe((record) => {
        first.push(record);
        if (first.length === 10) resolveTen();
      });
      await ten;
      // Commit record 7, then the older record 2: the group must resume after 7.
      await first[7]?.commit();
      await first[2]?.commit();
      subscription.unsubscribe();
      await bus.publish(topic, [{ key: 'rig-1', value: Buffer.from('10') }]);
      const second = await receive(bus, { groupId, topics: [topic], fromBeginning: true }, 3);
      expect(second.map(text)).toEqual(['8', '9', '10']);
    });

    it('gives every consumer group every record', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-groups');
      await bus.admin.createTopics([{ topic, partitions: 3 }]);
      const values = Array.from({ length: 30 }, (_, i) => String(i));
      await bus.publish(topic, values.map((v, i) => ({ key: `rig-${String(i % 5)}`, value: Buffer.from(v) })));
      const [a, b] = await Promise.all([
        receive(bus, { groupId: uniqueName('ga'), topics: [topic], fromBeginning: true }, 30, () => true),
        receive(bus, { groupId: uniqueName('gb'), topics: [topic], fromBeginning: true }, 30, () => true),
      ]);
      expect(a.map(text).sort()).toEqual([...values].sort());
      expect(b.map(text).sort()).toEqual([...values].sort());
    });

    it('shares partitions between the members of a group, partition p of every topic on one member', async () => {
      const bus = await newBus();
      const topics = [uniqueName('conf-share-lidar'), uniqueName('conf-share-camera')];
      const groupId = uniqueName('g');
      await bus.admin.createTopics(topics.map((topic) => ({ topic, partitions: 4 })));
      // One key per partition, picked with Kafka's partitioner formula.
      const keys = [0, 1, 2, 3].map((p) => {
        for (let i = 0; ; i++) if (partitionForKey(`rig-${String(i)}`, 4) === p) return `rig-${String(i)}`;
      });
      const publishAll = async (values: string[]): Promise<void> => {
        for (const topic of topics) {
          await bus.publish(topic, values.map((value, i) => ({ key: keys[i % 4] ?? null, value: Buffer.from(value) })));
        }
      };
      const seen = { a: [] as ConsumedRecord[], b: [] as ConsumedRecord[] };
      const member = (name: 'a' | 'b') =>
        bus.subscribe({ groupId, topics, fromBeginning: true }).subscribe((record) => {
          seen[name].push(record);
          void record.commit().catch(() => undefined); // a commit racing a rebalance may be refused
        });
      const a = member('a');
      const b = member('b');
      try {
        // Publish a probe to every partition until both members get records: the group has settled.
        while (seen.a.length === 0 || seen.b.length === 0) {
          await publishAll(['probe', 'probe', 'probe', 'probe']);
          await sleep(200);
        }
        const settled = { a: seen.a.length, b: seen.b.length };
        const values = Array.from({ length: 40 }, (_, i) => `final-${String(i)}`);
        await publishAll(values);
        const finals = (name: 'a' | 'b'): ConsumedRecord[] => seen[name].slice(settled[name]).filter((r) => text(r).startsWith('final-'));
        while (finals('a').length + finals('b').length < 2 * values.length) await sleep(20);
        const partitionsOf = (name: 'a' | 'b', topic: string): number[] =>
          [...new Set(finals(name).filter((r) => r.topic === topic).map((r) => r.partition))].sort();
        const [lidar = '', camera = ''] = topics;
        expect(partitionsOf('a', lidar).length).toBeGreaterThan(0);
        expect(partitionsOf('b', lidar).length).toBeGreaterThan(0);
        expect(partitionsOf('a', lidar).filter((p) => partitionsOf('b', lidar).includes(p))).toEqual([]);
        // Co-partitioned: a member that owns lidar partition p owns camera partition p too.
        expect(partitionsOf('a', camera)).toEqual(partitionsOf('a', lidar));
        expect(partitionsOf('b', camera)).toEqual(partitionsOf('b', lidar));
        for (const topic of topics) {
          const got = [...finals('a'), ...finals('b')].filter((r) => r.topic === topic).map(text);
          expect(got.sort()).toEqual([...values].sort());
        }
      } finally {
        a.unsubscribe();
        b.unsubscribe();
      }
    });

    it('hides an aborted transaction from read_committed consumers and shows a committed one exactly once', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-txn');
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      const aborted = await bus.transaction();
      await aborted.publish(topic, [{ key: 'rig-1', value: Buffer.from('aborted-0') }]);
      await aborted.publish(topic, [{ key: 'rig-1', value: Buffer.from('aborted-1') }]);
      await aborted.abort(); // midway: a consumer-transform-produce step that failed
      const committed = await bus.transaction();
      await committed.publish(topic, [
        { key: 'rig-1', value: Buffer.from('committed-0') },
        { key: 'rig-1', value: Buffer.from('committed-1') },
      ]);
      await committed.commit();
      await bus.publish(topic, [{ key: 'rig-1', value: Buffer.from('sentinel') }]);
      const seen = await receive(bus, { groupId: uniqueName('g'), topics: [topic], fromBeginning: true, isolation: 'read_committed' }, 3);
      expect(seen.map(text)).toEqual(['committed-0', 'committed-1', 'sentinel']);
    });

    it('commits consumed offsets with the output of a transaction (consume-transform-produce)', async () => {
      const bus = await newBus();
      const input = uniqueName('conf-ctp-in');
      const output = uniqueName('conf-ctp-out');
      const groupId = uniqueName('g');
      await bus.admin.createTopics([
        { topic: input, partitions: 1 },
        { topic: output, partitions: 1 },
      ]);
      await bus.publish(input, ['a', 'b', 'c'].map((v) => ({ key: 'rig-1', value: Buffer.from(v) })));
      const consumed = await receive(bus, { groupId, topics: [input], fromBeginning: true }, 3);
      const first = consumed.slice(0, 2);
      const txn = await bus.transaction();
      await txn.publish(output, first.map((r) => ({ key: r.key, value: Buffer.from(text(r).toUpperCase()) })));
      await txn.sendOffsets(groupId, first);
      await txn.commit();
      const rest = await receive(bus, { groupId, topics: [input], fromBeginning: true }, 1);
      expect(rest.map(text)).toEqual(['c']);
      const out = await receive(bus, { groupId: uniqueName('g'), topics: [output], fromBeginning: true }, 2);
      expect(out.map(text)).toEqual(['A', 'B']);
    });

    it('rejects a record above max.message.bytes with RecordTooLargeError and keeps working', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-oversize');
      await bus.admin.createTopics([{ topic, partitions: 1, maxMessageBytes: 1024 * 1024 }]);
      const error: unknown = await bus.publish(topic, [{ key: 'rig-1', value: randomBytes(1536 * 1024) }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordTooLargeError);
      expect((error as RecordTooLargeError).retriable).toBe(false);
      await bus.publish(topic, [{ key: 'rig-1', value: Buffer.from('small') }]);
      const [record] = await receive(bus, { groupId: uniqueName('g'), topics: [topic], fromBeginning: true }, 1);
      expect(record && text(record)).toBe('small');
    });

    it('ends active subscriptions on close and refuses new work afterwards', async () => {
      const bus = await makeBus();
      const topic = uniqueName('conf-close');
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, [{ key: 'rig-1', value: Buffer.from('first') }]);
      let resolveFirst: () => void = () => undefined;
      const first = new Promise<void>((resolve) => {
        resolveFirst = resolve;
      });
      const completed = new Promise<void>((resolve, reject) => {
        bus.subscribe({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true }).subscribe({
          next: resolveFirst,
          error: reject,
          complete: resolve,
        });
      });
      await first;
      await bus.close();
      await completed;
      await expect(bus.publish(topic, [{ key: 'rig-1', value: Buffer.from('late') }])).rejects.toBeInstanceOf(TransportStateError);
    });

    it('stops delivering at the high-water mark until commits drain it', async () => {
      const bus = await newBus();
      const topic = uniqueName('conf-backpressure');
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, Array.from({ length: 20 }, (_, i) => ({ key: 'rig-1', value: Buffer.from(String(i)) })));
      const received: ConsumedRecord[] = [];
      let resolveFifth: () => void = () => undefined;
      const fifth = new Promise<void>((resolve) => {
        resolveFifth = resolve;
      });
      let resolveAll: () => void = () => undefined;
      const all = new Promise<void>((resolve) => {
        resolveAll = resolve;
      });
      const subscription = bus
        .subscribe({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true, highWaterMark: 5, lowWaterMark: 0 })
        .subscribe((record) => {
          received.push(record);
          if (received.length === 5) resolveFifth();
          if (received.length === 20) resolveAll();
        });
      try {
        await fifth;
        await sleep(1500); // give an unbounded consumer time to overrun
        expect(received.length).toBe(5);
        await received[4]?.commit();
        // Committing releases the window; the rest arrives in windows of five, each committed.
        while (received.length < 20) {
          const before = received.length;
          await received[received.length - 1]?.commit();
          while (received.length === before) await sleep(20);
        }
        await all;
        expect(received.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      } finally {
        subscription.unsubscribe();
      }
    });
  });
}
