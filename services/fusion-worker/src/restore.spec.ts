import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { fusedDetectionsSchema, lidarObjectsSchema, type FusedDetections, type LidarObjects } from '@sensorfuse/schemas';
import { MemoryStateStore, type StateStore, type VersionedValue } from '@sensorfuse/state';
import { MemoryBus } from '@sensorfuse/transport';
import { ensureTopics } from '@sensorfuse/worker';
import { loadFusionConfig } from './config.js';
import { T0, lidarOnlyCalibration } from './real-data.spec-helper.js';
import { createFusionWorker, decodeCheckpoint, type FusionWorker } from './worker.js';

const SWEEP_US = 100_000;
const CHECKPOINT_KEY = 'fusion:checkpoint:rig-1';
const calibration = lidarOnlyCalibration();
const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarObjects>(registry, lidarObjectsSchema);
const fusedCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);

/** Sweep `seq`: one car-sized cluster driving along +x at 5 m/s from 15 m. */
const sweep = (seq: number) => lidarCodec.encode({
  rigId: 'rig-1', sensorId: 'lidar_top', seq, captureTimeUs: T0 + seq * SWEEP_US, publishTimeUs: T0 + seq * SWEEP_US, frameId: 'lidar_top',
  objects: [{ clusterId: 0, centroid: { x: 15 + 0.5 * seq, y: 0, z: 0 }, extent: { x: 4.5, y: 1.9, z: 1.5 }, yawRad: 0, pointCount: 300, meanIntensity: 0.3, classHint: 'car' }],
  inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
});

async function checkpointAt(store: StateStore, lastSeq: number): Promise<VersionedValue> {
  for (;;) {
    const saved = await store.getVersioned(CHECKPOINT_KEY);
    if (saved !== undefined && decodeCheckpoint(saved.value).lastPivotUs === T0 + lastSeq * SWEEP_US) return saved;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * The store as a new owner sees it during a rebalance: its first read of the rig's checkpoint returns the one
 * `stale` held, written before the previous owner's last transactions; every later read is the store's own.
 */
function readingStaleOnce(store: StateStore, stale: VersionedValue): StateStore & { readonly staleReads: () => number } {
  let served = 0;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'staleReads') return () => served;
      if (prop === 'getVersioned') {
        return async (key: string) => {
          if (key === CHECKPOINT_KEY && served === 0) {
            served++;
            return stale;
          }
          return target.getVersioned(key);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as StateStore & { readonly staleReads: () => number };
}

describe('fusion worker restore during a rebalance', () => {
  it('a checkpoint read before the previous owner committed its last generation is read again: the new owner resumes after that generation, ids kept', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStateStore();
    const config = loadFusionConfig({});
    const t = config.topics;
    await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], 1);
    const read = (group: string, n: number) => firstValueFrom(bus.subscribe({ groupId: group, topics: [t.output], fromBeginning: true, highWaterMark: Infinity }).pipe(take(n), toArray()));
    const publishSweeps = (from: number, to: number) => bus.publish(t.lidar, Array.from({ length: to - from + 1 }, (_, i) => ({ key: 'rig-1', value: sweep(from + i) })));
    // A worker's fatal error fails the test at once instead of leaving a read waiting for frames that never come.
    let died: (err: unknown) => void = () => undefined;
    const death = new Promise<never>((_, reject) => { died = reject; });
    const run = (worker: FusionWorker) => { worker.start((err) => { died(err); }); };
    const readOrDie = (group: string, n: number) => Promise.race([read(group, n), death]);

    // Owner A fuses sweeps 0-5 (checkpoint `early` reflects sweep 5), then 6-11, and hands the rig over.
    const a = createFusionWorker(bus, config, store, { maxFramesPerTransaction: 1 });
    await a.calibration.publish(calibration);
    run(a);
    await publishSweeps(0, 5);
    await readOrDie('reader-a1', 6);
    const early = await checkpointAt(store, 5);
    await publishSweeps(6, 11);
    const before = (await readOrDie('reader-a2', 12)).map((r) => fusedCodec.decode(r.value));
    await checkpointAt(store, 11);
    await a.drain();

    // Owner B's first read of the checkpoint is `early`, while the marker already says a later generation
    // committed. Taking `early` would re-publish sweeps 6-11 (duplicates); refusing it killed B before the fix.
    const stale = readingStaleOnce(store, early);
    const b = createFusionWorker(bus, config, stale, { maxFramesPerTransaction: 1 });
    run(b);
    await publishSweeps(12, 16);
    const frames = (await readOrDie('reader-all', 17)).map((r) => fusedCodec.decode(r.value));
    await b.drain();

    expect(stale.staleReads()).toBe(1);
    // Exactly one frame per sweep 0-16 across the hand-over, in order: a re-publication of sweeps 6-11 would come
    // before sweep 12's frame.
    expect(frames.map((f) => f.captureTimeUs)).toEqual(Array.from({ length: 17 }, (_, seq) => T0 + seq * SWEEP_US));
    const carIds = (fs: readonly FusedDetections[]) => new Set(fs.flatMap((f) => f.tracks.filter((k) => k.state === 'confirmed').map((k) => k.trackId)));
    expect(carIds(before).size).toBe(1);
    expect(carIds(frames.slice(12))).toEqual(carIds(before));
  });
});
