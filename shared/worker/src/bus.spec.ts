import { MemoryBus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import { busConfigSchema, createBus, ensureTopics } from './index.js';

describe('ensureTopics', () => {
  it('creates missing topics with their .dlq, leaves existing ones as they are, and does nothing for 0 partitions', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 'obs.lidar', partitions: 2 }]);
    await ensureTopics(bus, ['raw.lidar', 'obs.lidar'], 0);
    expect(await bus.admin.partitionCount('raw.lidar')).toBeUndefined();
    await ensureTopics(bus, ['raw.lidar', 'obs.lidar'], 6);
    expect(await bus.admin.partitionCount('raw.lidar')).toBe(6);
    expect(await bus.admin.partitionCount('raw.lidar.dlq')).toBe(6);
    expect(await bus.admin.partitionCount('obs.lidar')).toBe(2);
  });
});

describe('createBus', () => {
  it('gives a working in-process bus for kind memory', async () => {
    const bus = createBus(busConfigSchema.parse({ kind: 'memory' }));
    await bus.admin.createTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', [{ key: 'rig', value: Buffer.from('x') }]);
    expect(await bus.admin.partitionCount('t')).toBe(1);
    await bus.close();
  });
});
