import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from './memory-bus.js';
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
