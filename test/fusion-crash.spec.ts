/**
 * Crash test of the fusion worker over real Kafka and Redis (issue 9): 4 rigs drive the simulator's world for
 * 60 s of simulated time (obs.lidar + obs.motion made from its truth, published at 4× real time); the fusion
 * process is killed with SIGKILL at 5 seeded moments and restarted with the same transactional id. A
 * read_committed reader of fused.detections must see exactly one record per LIDAR sweep per rig, in order,
 * and ≥ 95 % of the tracks confirmed before each kill must keep their id after it.
 */
import { seededRandom } from '@sensorfuse/random';
import { RedisStateStore } from '@sensorfuse/state';
import { KafkaBus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import {
  SWEEP_US, T0, idRetention, publishCalibrations, publishSweeps, readOutput, simulateRig, startChild, uniqueTopics,
  type FusionChild, type RigSweep,
} from './fusion-crash-support.js';
import { kafkaBrokers, redisUrl, uniqueName } from './support/infra.js';

const RIGS = ['rig-0', 'rig-1', 'rig-2', 'rig-3'];
const SWEEPS = 600; // 60 s at 10 Hz
const KILLS = 5;
const SEED = 20_261_127;
/** Simulated time runs this much faster than the wall clock. */
const SPEEDUP = 4;
const PARTITIONS = 3;

describe('fusion worker crash test over real Kafka and Redis', () => {
  it('4 rigs, 60 s simulated, SIGKILL at 5 seeded moments: exactly one frame per sweep per rig in order, confirmed tracks keep their ids', async () => {
    const random = seededRandom(SEED);
    const rigs = new Map<string, RigSweep[]>(RIGS.map((rigId, i) => [rigId, simulateRig(rigId, SEED + i, SWEEPS)]));
    const total = RIGS.length * SWEEPS;
    // Kill k lands after roughly (k + 0.3 … k + 0.8) / 6 of all frames are committed, plus 0–30 ms, so it
    // falls anywhere in the cycle of aligning, publishing, committing and checkpointing.
    const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor((total * (k + 0.3 + 0.5 * random())) / (KILLS + 1)));
    const killDelayMs = Array.from({ length: KILLS }, () => Math.floor(30 * random()));

    const topics = uniqueTopics();
    const keyPrefix = `${uniqueName('fusion-crash')}:`;
    const groupId = uniqueName('fusion-worker');
    const transactionalId = uniqueName('fusion-txn');
    const admin = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
    const store = await RedisStateStore.connect(redisUrl(), { keyPrefix });
    const children: FusionChild[] = [];
    try {
      await admin.admin.createTopics(Object.values(topics).map((topic) => ({ topic, partitions: PARTITIONS })));
      await publishCalibrations(admin, store, RIGS);

      // The rigs publish live: one second of simulated time every 1/SPEEDUP s of wall time.
      const started = performance.now();
      const live = (async () => {
        for (let second = 0; second * 10 < SWEEPS; second++) {
          const due = started + (second * 1000) / SPEEDUP;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
          await publishSweeps(admin, topics, rigs, second * 10, Math.min(SWEEPS, (second + 1) * 10));
        }
      })();

      const options = { brokers: kafkaBrokers(), redisUrl: redisUrl(), keyPrefix, transactionalId, topics, groupId };
      let committedBefore = 0;
      for (let k = 0; k <= KILLS; k++) {
        const child = startChild({ ...options, instanceId: `incarnation-${String(k)}` });
        children.push(child);
        const threshold = killAt[k];
        if (threshold === undefined) break; // the last incarnation runs to the end
        await child.whenPublished(Math.max(1, threshold - committedBefore));
        await new Promise((resolve) => setTimeout(resolve, killDelayMs[k]));
        child.process.kill('SIGKILL');
        console.info(`kill ${String(k)} after ${String(child.published())} frames of this incarnation, ${((performance.now() - started) / 1000).toFixed(1)} s`);
        await child.exited;
        expect(child.process.signalCode).toBe('SIGKILL');
        committedBefore += child.published();
      }
      await live;
      console.info(`published all at ${((performance.now() - started) / 1000).toFixed(1)} s`);

      const { frames, extra } = await readOutput(admin, topics.output, total, 150_000);
      expect(extra).toBe(0);
      let kept = 0;
      let onObject = 0;
      let considered = 0;
      let changes = 0;
      for (const [rigId, sweeps] of rigs) {
        const mine = frames.filter((f) => f.value.rigId === rigId);
        expect(mine.every((f) => f.key === rigId)).toBe(true);
        // Exactly one record per LIDAR sweep, in capture order, seq without gap: no loss, no duplicate across 5 kills.
        expect(mine.map((f) => f.value.captureTimeUs)).toEqual(Array.from({ length: SWEEPS }, (_, i) => T0 + i * SWEEP_US));
        expect(mine.map((f) => f.value.seq)).toEqual(Array.from({ length: SWEEPS }, (_, i) => i));
        for (let i = 1; i < mine.length; i++) {
          const before = mine[i - 1];
          const after = mine[i];
          if (before === undefined || after === undefined || before.instance === after.instance) continue;
          changes++;
          const r = idRetention(before.value, after.value, sweeps[i - 1]?.truth ?? [], sweeps[i]?.truth ?? []);
          kept += r.kept;
          onObject += r.onObject;
          considered += r.total;
        }
      }
      const instances = new Set(frames.map((f) => f.instance));
      console.info(`fusion crash test: ${String(KILLS)} SIGKILLs after ${killAt.join(', ')} frames; ${String(frames.length)} records read (${String(total)} sweeps), ${String(extra)} extra; ` +
        `${String(instances.size)} incarnations produced output; ${String(changes)} rig hand-overs; confirmed tracks keeping their id ${String(kept)}/${String(considered)}, of them still on their object ${String(onObject)}`);
      // Every incarnation that ran long enough committed frames (the kills really interrupted the run).
      expect(instances.size).toBe(KILLS + 1);
      // Enough tracks to score: at least two per kill (a rig whose frames all came from one side of a kill
      // has no hand-over there).
      expect(considered).toBeGreaterThanOrEqual(2 * KILLS);
      expect(kept / considered).toBeGreaterThanOrEqual(0.95);
      // And the kept track is still the same object: within 2 m of it in the first frame after the kill.
      expect(onObject / considered).toBeGreaterThanOrEqual(0.95);
    } finally {
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
      await store.close().catch(() => undefined);
      await admin.close();
    }
  }, 480_000);
});
