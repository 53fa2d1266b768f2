import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from './memory-bus.js';
import type { TransportLogger } from './logger.js';
import { describeBusConformance } from './testing/index.js';

describeBusConformance('MemoryBus', () => new MemoryBus());

describe('MemoryBus groups', () => {
  it('shares the partitions of a topic between the members of one group', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 'raw.lidar', partitions: 4 }]);
    const seen = new Map<string, Set<number>>([
      ['a', new Set()],
      ['b', new Set()],
    ]);
    const values: string[] = [];
    const subA = bus.subscribe({ groupId: 'lidar-worker', topics: ['raw.lidar'], fromBeginning: true }).subscribe((r) => {
      seen.get('a')?.add(r.partition);
      values.push(r.value.toString());
      void r.commit();
    });
    const subB = bus.subscribe({ groupId: 'lidar-worker', topics: ['raw.lidar'], fromBeginning: true }).subscribe((r) => {
      seen.get('b')?.add(r.partition);
      values.push(r.value.toString());
      void r.commit();
    });
    await bus.publish('raw.lidar', Array.from({ length: 40 }, (_, i) => ({ key: `rig-${String(i)}`, value: Buffer.from(String(i)) })));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    subA.unsubscribe();
    subB.unsubscribe();
    const a = seen.get('a') ?? new Set();
    const b = seen.get('b') ?? new Set();
    expect(a.size).toBe(2);
    expect(b.size).toBe(2);
    expect([...a].filter((p) => b.has(p))).toEqual([]);
    expect(values.sort()).toEqual(Array.from({ length: 40 }, (_, i) => String(i)).sort());
    await bus.close();
  });

  it('shows read_uncommitted consumers the records of an aborted transaction, as Kafka does', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 't', partitions: 1 }]);
    const txn = await bus.transaction();
    await txn.publish('t', [{ key: 'k', value: Buffer.from('x') }]);
    await txn.abort();
    await bus.publish('t', [{ key: 'k', value: Buffer.from('y') }]);
    const records = await firstValueFrom(
      bus.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, isolation: 'read_uncommitted' }).pipe(take(2), toArray()),
    );
    // Offset 1 is the abort marker, as in a Kafka log.
    expect(records.map((r) => [r.value.toString(), r.offset])).toEqual([
      ['x', '0'],
      ['y', '2'],
    ]);
    await bus.close();
  });
});

describe('MemoryBus retention', () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const kib = (i: number): { key: string; value: Buffer } => ({ key: 'rig-1', value: Buffer.alloc(1024, i) });

  it('deletes by age only what every interested group has committed past, and a late group starts at the log start', async () => {
    let nowUs = 1_000_000_000;
    const bus = new MemoryBus({ nowUs: () => nowUs, retentionMs: 1000, logger: silent() });
    await bus.admin.createTopics([{ topic: 't', partitions: 1, deadLetterTopic: 'none' }]);
    const fast: string[] = [];
    const slowSeen: string[] = [];
    const fastSub = bus.subscribe({ groupId: 'fast', topics: ['t'], fromBeginning: true }).subscribe((r) => {
      fast.push(r.offset);
      void r.commit();
    });
    // 'slow' reads but commits only up to offset 1 (next offset 2).
    const slowSub = bus.subscribe({ groupId: 'slow', topics: ['t'], fromBeginning: true }).subscribe((r) => {
      slowSeen.push(r.offset);
      if (Number(r.offset) <= 1) void r.commit();
    });
    await bus.publish('t', [0, 1, 2, 3].map((i) => ({ key: 'k', value: Buffer.from(String(i)) })));
    await tick();
    await tick();
    nowUs += 5_000_000; // 5 s later: offsets 0–3 are older than 1 s
    await bus.publish('t', [{ key: 'k', value: Buffer.from('4') }]);
    await tick();
    // Offsets 0 and 1 are committed by both groups: deleted. 2 and 3 are not committed by 'slow': kept.
    expect(bus.stats()).toEqual({ deletedRecords: 2, deletedBytes: 2 + 2, unreadDeleted: 0 });
    fastSub.unsubscribe();
    slowSub.unsubscribe();
    const late = await firstValueFrom(bus.subscribe({ groupId: 'late', topics: ['t'], fromBeginning: true }).pipe(take(3), toArray()));
    expect(late.map((r) => [r.offset, r.value.toString()])).toEqual([
      ['2', '2'],
      ['3', '3'],
      ['4', '4'],
    ]);
    expect(fast).toEqual(['0', '1', '2', '3', '4']);
    expect(slowSeen.slice(0, 4)).toEqual(['0', '1', '2', '3']);
    await bus.close();
  });

  it('keeps the records of a topic no group has read, however old, below the size cap', async () => {
    let nowUs = 0;
    const bus = new MemoryBus({ nowUs: () => nowUs, retentionMs: 10, logger: silent() });
    await bus.admin.createTopics([{ topic: 'fused.detections', partitions: 1, deadLetterTopic: 'none' }]);
    for (let i = 0; i < 5; i++) {
      await bus.publish('fused.detections', [kib(i)]);
      nowUs += 60_000_000;
    }
    expect(bus.stats().deletedRecords).toBe(0);
    const all = await firstValueFrom(bus.subscribe({ groupId: 'reader', topics: ['fused.detections'], fromBeginning: true }).pipe(take(5), toArray()));
    expect(all.map((r) => r.value[0])).toEqual([0, 1, 2, 3, 4]);
    await bus.close();
  });

  it('caps a partition by size: a group left behind skips to the log start, and the skip is counted and logged', async () => {
    const warnings: object[] = [];
    // Each record is 1024 value bytes + 5 key bytes; a 4-record cap is 4116 bytes.
    const bus = new MemoryBus({ retentionBytes: 4 * 1029, logger: { ...silent(), warn: (fields) => warnings.push(fields) } });
    await bus.admin.createTopics([{ topic: 'raw.lidar', partitions: 1, deadLetterTopic: 'none' }]);
    await bus.publish('raw.lidar', Array.from({ length: 10 }, (_, i) => kib(i)));
    expect(bus.stats()).toEqual({ deletedRecords: 6, deletedBytes: 6 * 1029, unreadDeleted: 0 });
    const got = await firstValueFrom(bus.subscribe({ groupId: 'lidar-worker', topics: ['raw.lidar'], fromBeginning: true }).pipe(take(4), toArray()));
    expect(got.map((r) => [r.offset, r.value[0]])).toEqual([
      ['6', 6],
      ['7', 7],
      ['8', 8],
      ['9', 9],
    ]);
    // A group that committed offset 0 and then fell 10 records behind is moved forward, and told.
    const bus2 = new MemoryBus({ retentionBytes: 4 * 1029, logger: { ...silent(), warn: (fields) => warnings.push(fields) } });
    await bus2.admin.createTopics([{ topic: 'raw.lidar', partitions: 1, deadLetterTopic: 'none' }]);
    await bus2.publish('raw.lidar', [kib(0)]);
    const committed = new Promise<void>((resolve, reject) => {
      const sub = bus2.subscribe({ groupId: 'g', topics: ['raw.lidar'], fromBeginning: true }).subscribe((r) => {
        r.commit().then(() => {
          sub.unsubscribe();
          resolve();
        }, reject);
      });
    });
    await committed;
    await bus2.publish('raw.lidar', Array.from({ length: 10 }, (_, i) => kib(i + 1)));
    const after = await firstValueFrom(bus2.subscribe({ groupId: 'g', topics: ['raw.lidar'], fromBeginning: true }).pipe(take(1), toArray()));
    expect(after.map((r) => r.offset)).toEqual(['7']);
    expect(bus2.stats().unreadDeleted).toBe(6); // offsets 1–6 were never read by 'g'
    expect(warnings).toEqual([expect.objectContaining({ groupId: 'g', topic: 'raw.lidar', fromOffset: 1, toOffset: 7, skipped: 6 })]);
    await bus.close();
    await bus2.close();
  });

  it('does not delete the records of an open transaction, which read_committed readers wait on', async () => {
    const bus = new MemoryBus({ retentionBytes: 0, logger: silent() });
    await bus.admin.createTopics([{ topic: 'out', partitions: 1, deadLetterTopic: 'none' }]);
    const txn = await bus.transaction();
    await txn.publish('out', [kib(1), kib(2)]);
    expect(bus.stats().deletedRecords).toBe(0);
    const reading = firstValueFrom(bus.subscribe({ groupId: 'r', topics: ['out'], fromBeginning: true }).pipe(take(2), toArray()));
    await txn.commit();
    expect((await reading).map((r) => r.value[0])).toEqual([1, 2]);
    await bus.close();
  });
});

function silent(): TransportLogger {
  const none = (): void => undefined;
  return { error: none, warn: none, info: none, debug: none };
}
