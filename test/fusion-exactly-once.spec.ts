import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { createFusionWorker, loadFusionConfig, type FusionWorker } from '@sensorfuse/fusion-worker';
import {
  cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema,
  type CameraDetections, type EgoState, type FusedDetections, type LidarObjects, type RigCalibration,
} from '@sensorfuse/schemas';
import { RedisStateStore } from '@sensorfuse/state';
import { KafkaBus, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, redisUrl, uniqueName } from './support/infra.js';

const T0 = 1_767_225_600_000_000;
const SWEEP_US = 100_000;
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
// Camera at the body origin looking along +x: optical z = body x, optical x = −body y, optical y = −body z.
const CAM_TO_BODY = [0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1];
const RIGS = ['rig-a', 'rig-b'] as const;
const SWEEPS_BEFORE = 30;
const SWEEPS_AFTER = 20;
const KILL_AFTER_FRAMES = 20;
const CAMERA_LAG_B = 5;

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarObjects>(registry, lidarObjectsSchema);
const cameraCodec = createCodec<CameraDetections>(registry, cameraDetectionsSchema);
const egoCodec = createCodec<EgoState>(registry, egoStateSchema);
const fusedCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);

function calibration(rigId: string): RigCalibration {
  return {
    rigId, version: 1, validFromUs: 0,
    sensors: [
      { sensorId: 'lidar_top', modality: 'lidar', frameId: 'lidar_top', extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar_top', transform: IDENTITY }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 },
      { sensorId: 'cam_front', modality: 'camera', frameId: 'cam_front', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam_front', transform: CAM_TO_BODY }, cameraIntrinsics: { width: 1280, height: 720, fx: 1000, fy: 1000, cx: 640, cy: 360, distortionModel: 'none', distortionCoefficients: [] }, microphoneArray: null, clockOffsetUs: 0 },
    ],
  };
}

/** Motion, camera and LIDAR of sweep i of a rig: one car 20 m ahead driving away at 5 m/s (rig-b: 30 m, 3 m/s). */
function sweep(rigId: string, i: number) {
  const t = T0 + i * SWEEP_US;
  const [x0, v] = rigId === 'rig-a' ? [20, 5] : [30, 3];
  const x = x0 + v * i * (SWEEP_US / 1e6);
  const h = (sensorId: string, captureTimeUs: number, frameId: string) => ({ rigId, sensorId, seq: i, captureTimeUs, publishTimeUs: captureTimeUs, frameId });
  // Hand projection of the 4 × 2 × 1.5 m box at (x, 0, 0): u = 640 ∓ 1000·1/(x − 2), v = 360 ∓ 1000·0.75/(x − 2).
  const box = { xMin: 640 - 1000 / (x - 2), xMax: 640 + 1000 / (x - 2), yMin: 360 - 750 / (x - 2), yMax: 360 + 750 / (x - 2) };
  return {
    motion: egoCodec.encode({
      ...h('ins', t - 5_000, 'enu'), position: { x: 0, y: 0, z: 0 }, velocity: { x: 0, y: 0, z: 0 }, attitude: { x: 0, y: 0, z: 0, w: 1 }, angularVelocity: { x: 0, y: 0, z: 0 },
      covariance: new Array<number>(81).fill(0), predictOnly: false, imuTimeout: false, gnssTimeout: false, rejectedMeasurements: 0, imputedSamples: 0,
    }),
    camera: cameraCodec.encode({
      ...h('cam_front', t + 10_000, 'cam_front'), imageWidth: 1280, imageHeight: 720,
      detections: [{ box, objectClass: 'car', label: 'car', score: 0.9 }],
      quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'test',
    }),
    lidar: lidarCodec.encode({
      ...h('lidar_top', t, 'lidar_top'),
      objects: [{ clusterId: 0, centroid: { x, y: 0, z: 0 }, extent: { x: 4, y: 2, z: 1.5 }, yawRad: 0, pointCount: 200, meanIntensity: 0.3, classHint: 'unknown' }],
      inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
    }),
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));

type Stop = 'in-process' | 'sigkill';

async function restartRun(stop: Stop): Promise<void> {
  const base = loadFusionConfig({});
  const topics = {
    lidar: uniqueName('obs.lidar'), camera: uniqueName('obs.camera'), audio: uniqueName('obs.audio'),
    motion: uniqueName('obs.motion'), output: uniqueName('fused.detections'),
  };
  // A frame whose camera is missing waits up to 1 s (processing time) for it.
  const config = { ...base, topics, groupId: uniqueName('fusion-worker'), align: { ...base.align, timeoutUs: 1_000_000 } };
  const keyPrefix = `${uniqueName('fusion-eo')}:`;
  // Stable per instance, as in deployment: the restarted instance fences its predecessor's open transaction.
  const transactionalId = uniqueName('fusion-txn');
  // One frame per transaction (the kill lands between frames), fenced by the transactional id as main.ts does.
  const instance = { fencingId: transactionalId, maxFramesPerTransaction: 1 };
  const admin = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const storeA = await RedisStateStore.connect(redisUrl(), { keyPrefix });
  let busB: KafkaBus | undefined;
  let storeB: RedisStateStore | undefined;
  let workerB: FusionWorker | undefined;
  try {
    // One partition: both rigs share every input partition, so a committed frame of one rig cannot move the
    // group's offset past records the other rig still needs; its own later records are redelivered after the
    // restart and must be recognised from the checkpoint.
    await admin.admin.createTopics(Object.values(topics).map((topic) => ({ topic, partitions: 1 })));
    // rig-b's camera runs CAMERA_LAG_B sweeps behind its LIDAR in the topics, so rig-b's frames wait for it
    // and fall behind rig-a's: a committed rig-a frame cannot move the group's offset past rig-b records still
    // needed, and rig-a's own already-fused records are redelivered after the restart.
    const publishSweeps = async (from: number, to: number, last: boolean) => {
      for (let i = from; i < to; i++) {
        const a = sweep('rig-a', i);
        const b = sweep('rig-b', i);
        await admin.publish(topics.motion, [{ key: 'rig-a', value: a.motion }, { key: 'rig-b', value: b.motion }]);
        await admin.publish(topics.camera, [{ key: 'rig-a', value: a.camera }]);
        if (i >= CAMERA_LAG_B) await admin.publish(topics.camera, [{ key: 'rig-b', value: sweep('rig-b', i - CAMERA_LAG_B).camera }]);
        await admin.publish(topics.lidar, [{ key: 'rig-a', value: a.lidar }, { key: 'rig-b', value: b.lidar }]);
      }
      if (last) for (let i = to - CAMERA_LAG_B; i < to; i++) await admin.publish(topics.camera, [{ key: 'rig-b', value: sweep('rig-b', i).camera }]);
    };
    await publishSweeps(0, SWEEPS_BEFORE, false);

    for (const rigId of RIGS) {
      // Calibration goes to the registry in Redis (both instances read it from there).
      await createFusionWorker(admin, config, storeA).calibration.publish(calibration(rigId));
    }
    if (stop === 'in-process') {
      // First instance: dropped without drain once 20 of its frames are committed, while more are in flight.
      const busA = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'nothing', transactionalId });
      const workerA = createFusionWorker(busA, config, storeA, instance);
      workerA.start(() => undefined);
      while (workerA.stats().published < KILL_AFTER_FRAMES) await new Promise((resolve) => setTimeout(resolve, 5));
      await busA.close(); // no drain: the consumer leaves, the open transaction and the aligner buffers are lost
      // Mid-run: some frames were committed by the first instance, not all of those it had input for.
      const committedByA = workerA.stats().published;
      expect(committedByA).toBeGreaterThan(0);
      expect(committedByA).toBeLessThan(RIGS.length * SWEEPS_BEFORE);
    } else {
      // First instance: a child process, SIGKILLed once it reports 20 committed frames.
      const child = spawn(process.execPath, [
        '--conditions=source', '--import', 'tsx', path.join(here, 'fusion-worker-child.ts'),
        kafkaBrokers().join(','), redisUrl(), keyPrefix, transactionalId,
        JSON.stringify({ topics, groupId: config.groupId, timeoutUs: config.align.timeoutUs }),
      ], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const committedByA = await new Promise<number>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const counts = [...buffered.matchAll(/published (\d+)/g)].map((m) => Number(m[1]));
          const latest = counts.at(-1) ?? 0;
          if (latest >= KILL_AFTER_FRAMES) {
            child.kill('SIGKILL');
            resolve(latest);
          }
        });
        child.on('exit', (code) => { reject(new Error(`fusion child exited early with ${String(code)}`)); });
      });
      await exited;
      expect(committedByA).toBeLessThan(RIGS.length * SWEEPS_BEFORE);
    }
    await storeA.close().catch(() => undefined);

    await publishSweeps(SWEEPS_BEFORE, SWEEPS_BEFORE + SWEEPS_AFTER, true);

    // Second instance: same group, same transactional id, a new connection to the same Redis.
    busB = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'nothing', transactionalId });
    storeB = await RedisStateStore.connect(redisUrl(), { keyPrefix });
    workerB = createFusionWorker(busB, config, storeB, instance);
    workerB.start();

    const total = RIGS.length * (SWEEPS_BEFORE + SWEEPS_AFTER);
    const records: ConsumedRecord[] = await firstValueFrom(
      admin.subscribe({ groupId: uniqueName('reader'), topics: [topics.output], fromBeginning: true, isolation: 'read_committed', highWaterMark: Infinity })
        .pipe(take(total), timeout(120_000), toArray()),
    );
    // Nothing beyond the expected count: a straggler would be a duplicate.
    const extra = await firstValueFrom(
      admin.subscribe({ groupId: uniqueName('reader'), topics: [topics.output], fromBeginning: true, isolation: 'read_committed', highWaterMark: Infinity })
        .pipe(take(total + 1), toArray(), timeout(5_000)),
    ).catch(() => undefined);
    expect(extra).toBeUndefined();

    const fused = records.map((r) => ({ key: r.key, value: fusedCodec.decode(r.value) }));
    for (const rigId of RIGS) {
      const mine = fused.filter((f) => f.value.rigId === rigId);
      expect(mine.every((f) => f.key === rigId)).toBe(true);
      // Exactly one record per LIDAR sweep, in capture order: no gap, no duplicate across the restart.
      expect(mine.map((f) => f.value.captureTimeUs)).toEqual(Array.from({ length: SWEEPS_BEFORE + SWEEPS_AFTER }, (_, i) => T0 + i * SWEEP_US));
      expect(mine.map((f) => f.value.seq)).toEqual(Array.from({ length: SWEEPS_BEFORE + SWEEPS_AFTER }, (_, i) => i));
      // One car per rig: once confirmed (3rd sweep), it is the same track id to the end, before and after the kill.
      const confirmedIds = mine.flatMap((f) => f.value.tracks.filter((t) => t.state === 'confirmed').map((t) => t.trackId));
      expect(confirmedIds.length).toBeGreaterThanOrEqual(SWEEPS_BEFORE + SWEEPS_AFTER - 2);
      expect(new Set(confirmedIds).size).toBe(1);
      expect(mine.at(-1)?.value.tracks.find((t) => t.state === 'confirmed')?.objectClass).toBe('car');
    }
  } finally {
    await workerB?.drain().catch(() => undefined);
    await busB?.close().catch(() => undefined);
    await storeB?.close().catch(() => undefined);
    await admin.close();
  }
}

describe('fusion worker over real Kafka and Redis: stopped abruptly mid-run and restarted; read_committed output has exactly one frame per sweep per rig, in order, and the confirmed track keeps its id', () => {
  it('first instance dropped in process without drain', () => restartRun('in-process'), 240_000);
  it('first instance a child process killed with SIGKILL', () => restartRun('sigkill'), 240_000);
});
