import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import {
  cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema,
  type CameraDetections, type EgoState, type FusedDetections, type LidarObjects, type RigCalibration,
} from '@sensorfuse/schemas';
import { EARLIER_SCHEMA_VERSIONS } from '@sensorfuse/schemas/earlier';
import { MemoryStateStore } from '@sensorfuse/state';
import { MemoryBus } from '@sensorfuse/transport';
import { ensureTopics } from '@sensorfuse/worker';
import { loadFusionConfig } from './config.js';
import type { FusionOutput } from './core/types.js';
import { createFusionWorker, decodeCheckpoint } from './worker.js';
import { LIDAR_TOP, T0 } from './real-data.spec-helper.js';

// Camera at the body origin looking along +x: optical z = body x, optical x = −body y, optical y = −body z.
const CAM_TO_BODY = [0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1];

const calibration: RigCalibration = {
  rigId: 'rig-1', version: 1, validFromUs: 0,
  sensors: [
    LIDAR_TOP,
    { sensorId: 'cam_front', modality: 'camera', frameId: 'cam_front', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam_front', transform: CAM_TO_BODY }, cameraIntrinsics: { width: 1280, height: 720, fx: 1000, fy: 1000, cx: 640, cy: 360, distortionModel: 'none', distortionCoefficients: [] }, microphoneArray: null, clockOffsetUs: 0 },
  ],
};

const h = (sensorId: string, seq: number, t: number, frameId: string) => ({ rigId: 'rig-1', sensorId, seq, captureTimeUs: t, publishTimeUs: t, frameId });

describe('fusion worker on a MemoryBus', () => {
  it('publishes one FusedDetections per sweep, tracks a car only the camera can classify, and estimates its speed', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStateStore();
    const config = loadFusionConfig({});
    const outputs: FusionOutput[] = [];
    const worker = createFusionWorker(bus, config, store, { onOutput: (o) => outputs.push(o) });
    await worker.calibration.publish(calibration);
    const t = config.topics;
    await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], 1);
    const reg = new SchemaRegistry();
    const lidarCodec = createCodec<LidarObjects>(reg, lidarObjectsSchema);
    // Odd sweeps come from a LIDAR worker not yet upgraded: written before LidarObjects gained `fragments`.
    const olderLidarCodec = createCodec<LidarObjects>(reg, EARLIER_SCHEMA_VERSIONS.LidarObjects[0]);
    const cameraCodec = createCodec<CameraDetections>(reg, cameraDetectionsSchema);
    const egoCodec = createCodec<EgoState>(reg, egoStateSchema);
    const frames = 10;
    for (let i = 0; i < frames; i++) {
      const t = T0 + i * 100_000;
      const x = 20 + 5 * (i * 0.1); // 5 m/s along +x, ego parked at the origin
      // Hand projection of the 4 × 2 × 1.5 m box at (x, 0, 0): u = 640 − 1000·y/x', v = 360 − 1000·z/x' over the corners.
      const box = { xMin: 640 - 1000 / (x - 2), xMax: 640 + 1000 / (x - 2), yMin: 360 - 750 / (x - 2), yMax: 360 + 750 / (x - 2) };
      await bus.publish(config.topics.motion, [{ key: 'rig-1', value: egoCodec.encode({
        ...h('ins', i, t - 5_000, 'enu'), position: { x: 0, y: 0, z: 0 }, velocity: { x: 0, y: 0, z: 0 }, attitude: { x: 0, y: 0, z: 0, w: 1 }, angularVelocity: { x: 0, y: 0, z: 0 },
        covariance: new Array<number>(81).fill(0), predictOnly: false, imuTimeout: false, gnssTimeout: false, rejectedMeasurements: 0, imputedSamples: 0,
      }) }]);
      await bus.publish(config.topics.camera, [{ key: 'rig-1', value: cameraCodec.encode({
        ...h('cam_front', i, t + 10_000, 'cam_front'), imageWidth: 1280, imageHeight: 720,
        detections: [{ box, objectClass: 'car', label: 'car', score: 0.9 }],
        quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'test',
      }) }]);
      await bus.publish(config.topics.lidar, [{ key: 'rig-1', value: (i % 2 === 0 ? lidarCodec : olderLidarCodec).encode({
        ...h('lidar_top', i, t, 'lidar_top'),
        objects: [{ clusterId: 0, centroid: { x, y: 0, z: 0 }, extent: { x: 4, y: 2, z: 1.5 }, yawRad: 0, pointCount: 200, meanIntensity: 0.3, classHint: 'unknown' }],
        inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
      }) }]);
    }
    const reader = firstValueFrom(bus.subscribe({ groupId: 'reader', topics: [config.topics.output], fromBeginning: true, highWaterMark: Infinity }).pipe(take(frames), toArray()));
    worker.start();
    const published = await reader;
    await worker.drain();
    const codec = createCodec<FusedDetections>(new SchemaRegistry(), fusedDetectionsSchema);
    const records = published.map((r) => codec.decode(r.value));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: frames }, (_, i) => i));
    expect(records.map((r) => r.captureTimeUs)).toEqual(Array.from({ length: frames }, (_, i) => T0 + i * 100_000));
    const last = records[frames - 1];
    const track = last?.tracks[0];
    expect(last?.tracks).toHaveLength(1);
    expect(track?.state).toBe('confirmed');
    expect(track?.objectClass).toBe('car');
    expect(track?.contributingModalities).toEqual(expect.arrayContaining(['lidar', 'camera']));
    expect(new Set(records.flatMap((r) => r.tracks.map((t) => t.trackId))).size).toBe(1);
    expect(track?.position.x).toBeCloseTo(20 + 5 * 0.9, 0);
    expect(Math.abs((track?.velocity.x ?? 0) - 5)).toBeLessThan(1);
    expect(last?.presentModalities).toEqual(expect.arrayContaining(['lidar', 'camera', 'motion']));
    expect(last?.missingModalities).toContain('audio');
    expect(outputs.every((o) => o.counts.cameraMatched === 1)).toBe(true);
    expect(worker.stats().calibrationChanges).toBe(1);
    // The tracker state is checkpointed per rig once per transaction (one to maxFramesPerTransaction frames,
    // as many as queued up meanwhile, so the count depends on timing) with the last sweep it reflects.
    const checkpoint = await store.getVersioned('fusion:checkpoint:rig-1');
    expect(checkpoint?.version).toBeGreaterThanOrEqual(1);
    expect(checkpoint?.version).toBeLessThanOrEqual(frames);
    expect(decodeCheckpoint(checkpoint?.value ?? new Uint8Array()).lastPivotUs).toBe(T0 + (frames - 1) * 100_000);
    // Consumed records are committed with the frames (in their transactions) once no later sweep can use them:
    // every LIDAR sweep, and camera/motion records older than the last sweep by more than the widest match window
    // plus the out-of-orderness (100 + 50 ms). The camera (+10 ms) and motion (−5 ms) of sweeps 8 and 9 are
    // within 150 ms of sweep 9, so 30 − 4 = 26 are committed.
    expect(worker.stats().processed).toBe(3 * frames - 4);
  });

  it('dead-letters undecodable records and cameras the calibration does not know, and keeps running', async () => {
    const bus = new MemoryBus();
    const config = loadFusionConfig({});
    const worker = createFusionWorker(bus, config, new MemoryStateStore());
    await worker.calibration.publish(calibration);
    const t = config.topics;
    await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], 1);
    const cameraCodec = createCodec<CameraDetections>(new SchemaRegistry(), cameraDetectionsSchema);
    await bus.publish(t.camera, [
      { key: 'rig-1', value: Buffer.from('not avro') },
      { key: 'rig-1', value: cameraCodec.encode({
        ...h('cam_roof', 1, T0, 'cam_roof'), imageWidth: 1280, imageHeight: 720, detections: [],
        quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'test',
      }) },
    ]);
    const dlq = firstValueFrom(bus.subscribe({ groupId: 'dlq-reader', topics: [`${t.camera}.dlq`], fromBeginning: true, highWaterMark: Infinity }).pipe(take(2), toArray()));
    worker.start();
    const letters = await dlq;
    await worker.drain();
    expect(letters.map((r) => r.value.equals(Buffer.from('not avro')))).toEqual([true, false]);
    expect(worker.stats().deadLettered).toBe(2);
    expect(Object.keys(worker.stats().deadLetterReasons)).toContain('UnknownCameraError');
  });
});
