/**
 * Scale test of the fusion worker over real Kafka and Redis (issue 9): 2 instances in one consumer group,
 * 8 rigs on 4 co-partitioned partitions, the second instance joins mid-run, is stopped (SIGTERM, drained)
 * and restarted with its transactional id. From the read_committed output and the instance header of every
 * record: each rig's frames come from one instance at a time (contiguous runs, one per ownership), no
 * duplicates, no gaps.
 */
import { RedisStateStore } from '@sensorfuse/state';
import { KafkaBus, partitionForKey } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import {
  SWEEP_US, T0, publishCalibrations, publishSweeps, readOutput, simulateRig, startChild, uniqueTopics,
  type FusionChild, type RigSweep,
} from './fusion-crash-support.js';
import { kafkaBrokers, redisUrl, uniqueName } from './support/infra.js';

const PARTITIONS = 4;
const SWEEPS = 600; // 60 s at 10 Hz
const SEED = 7_011;

/** 8 rig ids, 2 per partition (Kafka's murmur2 partitioner), so both instances always own rigs. */
function balancedRigs(): string[] {
  const perPartition = new Map<number, string[]>();
  for (let i = 0; [...perPartition.values()].reduce((n, l) => n + Math.min(2, l.length), 0) < 2 * PARTITIONS; i++) {
    const rigId = `rig-${String(i)}`;
    const p = partitionForKey(rigId, PARTITIONS);
    const list = perPartition.get(p) ?? [];
    list.push(rigId);
    perPartition.set(p, list);
  }
  return [...perPartition.values()].flatMap((l) => l.slice(0, 2));
}

describe('fusion worker scale test over real Kafka and Redis', () => {
  it('2 instances, 8 rigs, one stopped and restarted mid-run: every rig from one instance at a time, no duplicates, no gaps', async () => {
    const rigIds = balancedRigs();
    expect(rigIds).toHaveLength(8);
    const rigs = new Map<string, RigSweep[]>(rigIds.map((rigId, i) => [rigId, simulateRig(rigId, SEED + i, SWEEPS)]));
    const total = rigIds.length * SWEEPS;
    const topics = uniqueTopics();
    const keyPrefix = `${uniqueName('fusion-scale')}:`;
    const groupId = uniqueName('fusion-worker');
    const admin = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
    const store = await RedisStateStore.connect(redisUrl(), { keyPrefix });
    const children: FusionChild[] = [];
    try {
      await admin.admin.createTopics(Object.values(topics).map((topic) => ({ topic, partitions: PARTITIONS })));
      await publishCalibrations(admin, store, rigIds);
      const started = performance.now();
      const at = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
      let next = 0;
      /**
       * Publishes the next sweeps of every rig live (10 at a time, one simulated second per second), at
       * least `atLeast` of them and until `done()`; then waits for `done()` if the sweeps ran out.
       */
      const publishUntil = async (atLeast: number, done: () => boolean, wait: () => Promise<unknown>) => {
        const from = next;
        while (next < SWEEPS && (next - from < atLeast || !done())) {
          await publishSweeps(admin, topics, rigs, next, Math.min(SWEEPS, next + 10));
          next = Math.min(SWEEPS, next + 10);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        await wait();
      };
      const options = { brokers: kafkaBrokers(), redisUrl: redisUrl(), keyPrefix, topics, groupId };
      const enough = 20;
      // 1. A alone.
      const a = startChild({ ...options, transactionalId: `${groupId}-a`, instanceId: 'A' });
      children.push(a);
      await publishUntil(30, () => a.published() >= rigIds.length * enough, () => a.whenPublished(rigIds.length * enough));
      // 2. B joins: the group splits the partitions between A and B.
      const b1 = startChild({ ...options, transactionalId: `${groupId}-b`, instanceId: 'B1' });
      children.push(b1);
      await publishUntil(30, () => b1.published() >= 2 * enough, () => b1.whenPublished(2 * enough));
      console.info(`scale test: B joined, ${String(b1.published())} frames by B1 at ${at()}, sweep ${String(next)}`);
      // 3. B stops (drains and leaves the group): A takes every rig back.
      b1.process.kill('SIGTERM');
      expect(await b1.exited).toBe(0);
      const aBefore = a.published();
      await publishUntil(30, () => a.published() >= aBefore + rigIds.length * enough, () => a.whenPublished(aBefore + rigIds.length * enough));
      // 4. B comes back with the same transactional id.
      const b2 = startChild({ ...options, transactionalId: `${groupId}-b`, instanceId: 'B2' });
      children.push(b2);
      await publishUntil(30, () => b2.published() >= 2 * enough, () => b2.whenPublished(2 * enough));
      console.info(`scale test: B restarted, ${String(b2.published())} frames by B2 at ${at()}, sweep ${String(next)}`);
      // The rest at once: a backlog both instances work through.
      await publishSweeps(admin, topics, rigs, next, SWEEPS);

      const { frames, extra } = await readOutput(admin, topics.output, total, 150_000);
      expect(extra).toBe(0);
      const runs = new Map<string, string[]>();
      for (const [rigId] of rigs) {
        const mine = frames.filter((f) => f.value.rigId === rigId);
        // No duplicates, no gaps: one record per sweep, in order, seq continuing across every hand-over.
        expect(mine.map((f) => f.value.captureTimeUs)).toEqual(Array.from({ length: SWEEPS }, (_, i) => T0 + i * SWEEP_US));
        expect(mine.map((f) => f.value.seq)).toEqual(Array.from({ length: SWEEPS }, (_, i) => i));
        const sequence: string[] = [];
        for (const f of mine) if (sequence.at(-1) !== f.instance) sequence.push(f.instance ?? '?');
        runs.set(rigId, sequence);
      }
      console.info(`scale test: ${String(frames.length)} records, ${String(extra)} extra; instance runs per rig: ${[...runs].map(([r, s]) => `${r} ${s.join('→')}`).join(', ')}`);
      const periods = ['A', 'B1', 'A', 'B2'];
      for (const [rigId, sequence] of runs) {
        // One instance at a time: a rig's frames come in contiguous runs, at most one per ownership period
        // (A alone, A + B1, A alone again, A + B2), i.e. its run sequence is a subsequence of the periods.
        let i = 0;
        for (const instance of sequence) {
          while (i < periods.length && periods[i] !== instance) i++;
          i++;
        }
        expect(i <= periods.length, `${rigId}: ${sequence.join('→')}`).toBe(true);
      }
      // Both instances really worked, and rigs really moved between them.
      const byInstance = new Map<string, number>();
      for (const f of frames) byInstance.set(f.instance ?? '?', (byInstance.get(f.instance ?? '?') ?? 0) + 1);
      console.info(`scale test: frames per instance ${JSON.stringify(Object.fromEntries(byInstance))}`);
      expect(byInstance.get('B1') ?? 0).toBeGreaterThan(0);
      expect(byInstance.get('B2') ?? 0).toBeGreaterThan(0);
      expect([...runs.values()].filter((s) => s.length > 1).length).toBeGreaterThanOrEqual(4);
    } finally {
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
      await store.close().catch(() => undefined);
      await admin.close();
    }
  }, 300_000);
});
