import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import {
  cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema,
  type CameraDetections, type EgoState, type FusedDetections, type LidarObjects, type RigCalibration,
} from '@sensorfuse/schemas';
import { MemoryStateStore } from '@sensorfuse/state';
import { MemoryBus, REPLAY_EPOCH_HEADER } from '@sensorfuse/transport';
import { ensureTopics } from '@sensorfuse/worker';
import { loadFusionConfig } from '../config.js';
import { createFusionWorker, decodeCheckpoint } from '../worker.js';
import { LIDAR_TOP, T0 } from '../real-data.spec-helper.js';

// The streaming worker with fusion.strategy "learned" for one rig and the default "late" for another,
// on a MemoryBus: the same car (LIDAR + camera + motion, no audio) on both rigs.
const CAM_TO_BODY = [0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1];
const RIGS = ['rig-late', 'rig-learned'];

const calibration = (rigId: string): RigCalibration => ({
  rigId, version: 1, validFromUs: 0,
  sensors: [
    LIDAR_TOP,
    { sensorId: 'cam_front', modality: 'camera', frameId: 'cam_front', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam_front', transform: CAM_TO_BODY }, cameraIntrinsics: { width: 1280, height: 720, fx: 1000, fy: 1000, cx: 640, cy: 360, distortionModel: 'none', distortionCoefficients: [] }, microphoneArray: null, clockOffsetUs: 0 },
  ],
});


type Config = ReturnType<typeof loadFusionConfig>;
const reg = new SchemaRegistry();
const lidarCodec = createCodec<LidarObjects>(reg, lidarObjectsSchema);
const cameraCodec = createCodec<CameraDetections>(reg, cameraDetectionsSchema);
const egoCodec = createCodec<EgoState>(reg, egoStateSchema);

/** Sweeps from..to−1 of a car 20 m ahead moving at 5 m/s, per rig: motion, camera box (hand projection) and LIDAR object. */
async function publishSweeps(bus: MemoryBus, config: Config, rigs: readonly string[], from: number, to: number, epoch?: string): Promise<void> {
  const t = config.topics;
  const headers = epoch === undefined ? {} : { headers: { [REPLAY_EPOCH_HEADER]: epoch } };
  for (let i = from; i < to; i++) {
    const time = T0 + i * 100_000;
    const x = 20 + 0.5 * i;
    // Hand projection of the 4 × 2 × 1.5 m box at (x, 0, 0) into the camera (its nearest face at x − 2).
    const box = { xMin: 640 - 1000 / (x - 2), xMax: 640 + 1000 / (x - 2), yMin: 360 - 750 / (x - 2), yMax: 360 + 750 / (x - 2) };
    for (const rigId of rigs) {
      const h = (sensorId: string, at: number, frameId: string) => ({ rigId, sensorId, seq: i, captureTimeUs: at, publishTimeUs: at, frameId });
      await bus.publish(t.motion, [{ key: rigId, ...headers, value: egoCodec.encode({
        ...h('ins', time - 5_000, 'enu'), position: { x: 0, y: 0, z: 0 }, velocity: { x: 0, y: 0, z: 0 }, attitude: { x: 0, y: 0, z: 0, w: 1 }, angularVelocity: { x: 0, y: 0, z: 0 },
        covariance: new Array<number>(81).fill(0), predictOnly: false, imuTimeout: false, gnssTimeout: false, rejectedMeasurements: 0, imputedSamples: 0,
      }) }]);
      await bus.publish(t.camera, [{ key: rigId, ...headers, value: cameraCodec.encode({
        ...h('cam_front', time + 10_000, 'cam_front'), imageWidth: 1280, imageHeight: 720,
        detections: [{ box, objectClass: 'car', label: 'car', score: 0.9 }], quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'test',
      }) }]);
      await bus.publish(t.lidar, [{ key: rigId, ...headers, value: lidarCodec.encode({
        ...h('lidar_top', time, 'lidar_top'),
        objects: [{ clusterId: 0, centroid: { x, y: 0, z: 0 }, extent: { x: 4, y: 2, z: 1.5 }, yawRad: 0, pointCount: 200, meanIntensity: 0.3, classHint: 'unknown' }],
        inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
      }) }]);
    }
  }
}

/** A MemoryBus with the fusion topics and an empty state store, for a worker whose default strategy is learned. */
async function learnedRig() {
  const bus = new MemoryBus();
  const store = new MemoryStateStore();
  const config = loadFusionConfig({ SENSORFUSE_FUSION_FUSION_STRATEGY: 'learned' });
  const t = config.topics;
  await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], 1);
  return { bus, store, config, t };
}

describe('fusion worker with fusion.strategy learned (per rig)', () => {
  it('publishes every sweep in order with the attention of each updated track, checkpointed like late fusion; the other rig stays late', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStateStore();
    const config = loadFusionConfig({ SENSORFUSE_FUSION_FUSION_STRATEGY_BY_RIG: '["rig-learned=learned"]' });
    expect(config.fusion.strategyByRig).toEqual(['rig-learned=learned']);
    const worker = createFusionWorker(bus, config, store);
    for (const rig of RIGS) await worker.calibration.publish(calibration(rig));
    const t = config.topics;
    await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], 1);
    const frames = 10;
    await publishSweeps(bus, config, RIGS, 0, frames);
    const reader = firstValueFrom(bus.subscribe({ groupId: 'reader', topics: [t.output], fromBeginning: true, highWaterMark: Infinity }).pipe(take(2 * frames), toArray()));
    worker.start();
    const published = await reader;
    await worker.drain();
    const codec = createCodec<FusedDetections>(new SchemaRegistry(), fusedDetectionsSchema);
    const records = published.map((r) => codec.decode(r.value));
    for (const rigId of RIGS) {
      const own = records.filter((r) => r.rigId === rigId);
      // Every sweep once, in order: the asynchronous inference does not reorder, drop or repeat frames.
      expect(own.map((r) => r.seq)).toEqual(Array.from({ length: frames }, (_, i) => i));
      expect(own.map((r) => r.captureTimeUs)).toEqual(Array.from({ length: frames }, (_, i) => T0 + i * 100_000));
      expect(new Set(own.flatMap((r) => r.tracks.map((tr) => tr.trackId))).size).toBe(1);
      const checkpoint = await store.getVersioned(`fusion:checkpoint:${rigId}`);
      expect(decodeCheckpoint(checkpoint?.value ?? new Uint8Array()).lastPivotUs).toBe(T0 + (frames - 1) * 100_000);
    }
    // Late fusion publishes no attention.
    expect(records.filter((r) => r.rigId === 'rig-late').flatMap((r) => r.tracks).every((tr) => tr.attention === null)).toBe(true);
    // Learned: every track updated in a frame carries the model's weights; camera and LIDAR gave evidence, audio
    // did not (masked): its weight is exactly 0 and the weights sum to 1 (float32 on the wire).
    const learned = records.filter((r) => r.rigId === 'rig-learned').flatMap((r) => r.tracks);
    expect(learned).toHaveLength(frames);
    for (const tr of learned) {
      const a = tr.attention;
      expect(a).not.toBeNull();
      if (a === null || a === undefined) continue;
      expect(a.audio).toBe(0);
      expect(a.camera).toBeGreaterThan(0);
      expect(a.lidar).toBeGreaterThan(0);
      expect(a.camera + a.lidar + a.audio).toBeCloseTo(1, 5);
    }
    expect(learned.at(-1)?.state).toBe('confirmed');
    expect(learned.at(-1)?.objectClass).toBe('car');
  });

  it('a restarted instance resumes from the checkpoint: no frame lost or repeated, the track keeps its id', async () => {
    const { bus, store, config, t } = await learnedRig();
    const first = createFusionWorker(bus, config, store);
    await first.calibration.publish(calibration('rig-learned'));
    await publishSweeps(bus, config, ['rig-learned'], 0, 6);
    const reader = firstValueFrom(bus.subscribe({ groupId: 'reader', topics: [t.output], fromBeginning: true, highWaterMark: Infinity }).pipe(take(12), toArray()));
    const firstFrames = firstValueFrom(bus.subscribe({ groupId: 'reader-first', topics: [t.output], fromBeginning: true, highWaterMark: Infinity }).pipe(take(4), toArray()));
    first.start();
    // Stopped once it has published 4 frames (drain fuses and commits its open ones); the next instance takes over.
    await firstFrames;
    await first.drain();
    expect(first.stats().frames).toBeGreaterThanOrEqual(4);
    const second = createFusionWorker(bus, config, store);
    await publishSweeps(bus, config, ['rig-learned'], 6, 12);
    second.start();
    const published = await reader;
    await second.drain();
    const codec = createCodec<FusedDetections>(new SchemaRegistry(), fusedDetectionsSchema);
    const records = published.map((r) => codec.decode(r.value));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(records.map((r) => r.captureTimeUs)).toEqual(Array.from({ length: 12 }, (_, i) => T0 + i * 100_000));
    expect(new Set(records.flatMap((r) => r.tracks.map((tr) => tr.trackId)))).toEqual(new Set([1]));
    // A fresh tracker would also start at id 1, but tentative: the restored one is confirmed from the first frame after.
    expect(records.slice(6).every((r) => r.tracks.length === 1 && r.tracks[0]?.state === 'confirmed')).toBe(true);
    expect(records.every((r) => r.tracks.every((tr) => tr.attention !== null))).toBe(true);
  });

  it('a replay looped twice, delivered as a backlog: no loop is discarded and the frames of loop 1 still in inference at the loop are published before the rig resets', async () => {
    const { bus, store, config, t } = await learnedRig();
    const worker = createFusionWorker(bus, config, store);
    await worker.calibration.publish(calibration('rig-learned'));
    const frames = 8;
    // The same recording played twice, each loop marked with its epoch as the recorder's replay marks it, all
    // published before the worker starts: the bus then delivers one topic's records of both loops before another's.
    await publishSweeps(bus, config, ['rig-learned'], 0, frames, 'replay-1:0');
    await publishSweeps(bus, config, ['rig-learned'], 0, frames, 'replay-1:1');
    const reader = firstValueFrom(bus.subscribe({ groupId: 'reader', topics: [t.output], fromBeginning: true, highWaterMark: Infinity }).pipe(take(2 * frames), toArray()));
    worker.start();
    const published = await reader;
    await worker.drain();
    const codec = createCodec<FusedDetections>(new SchemaRegistry(), fusedDetectionsSchema);
    const records = published.map((r) => codec.decode(r.value));
    expect(worker.stats().epochResets).toBe(1);
    // Every sweep of both loops once; seq goes on across the loop; the second loop repeats the first's times.
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 2 * frames }, (_, i) => i));
    const times = Array.from({ length: frames }, (_, i) => T0 + i * 100_000);
    expect(records.map((r) => r.captureTimeUs)).toEqual([...times, ...times]);
  });
});
