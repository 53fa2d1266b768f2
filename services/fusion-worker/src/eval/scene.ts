/**
 * One evaluation scene: a simulator run (preset + seed + duration) turned into what the fusion worker
 * would consume — the per-modality observations made by the workers' own cores in process (camera:
 * CameraCore + the shipped sim-detector through @sensorfuse/inference; LIDAR: LidarCore; audio:
 * AudioCore with Silero VAD; motion: MotionCore) — plus the ground truth per LIDAR sweep. No Kafka.
 *
 * The scene is plain JSON so it can be cached on disk (src/eval/cache.ts): generating it (rendering,
 * ray casting, detector inference) is 95 % of the evaluation's cost, fusing it a few seconds.
 */
import { openSileroPool } from '@sensorfuse/audio';
import { AudioCore, loadAudioConfig } from '@sensorfuse/audio-worker';
import { CameraCore, loadCameraConfig, newCameraCounters, openDetector } from '@sensorfuse/camera-worker';
import { LidarCore, lidarParams, loadLidarConfig, scanFields } from '@sensorfuse/lidar-worker';
import { processScan, type LidarParams } from '@sensorfuse/pointcloud';
import { MotionCore, loadMotionConfig, motionCoreOptions } from '@sensorfuse/motion-worker';
import type { AudioEvents, CameraDetections, EgoState, LidarObjects, LidarScan } from '@sensorfuse/schemas';
import {
  CoreSimulation, presetScenario, toAudioChunk, toCameraFrame, toLidarScan, toMotionSample, toRigCalibration,
  type TruthRecord,
} from '@sensorfuse/simulator';
import type { FusionPayload } from '../core/types.js';
import { SCENE_FORMAT, sceneName, type Scene, type SceneKey, type SceneObservation, type SweepTruth, type TruthObject } from './scene-types.js';

export { SCENE_FORMAT, sceneName, type Scene, type SceneKey, type SceneObservation, type SweepTruth, type TruthObject };

/**
 * Processing latency added to a raw record's delivery time to get its observation's delivery time
 * (what the fusion worker's aligner sees), per modality, µs. Rough figures of the workers' per-record
 * cost on this machine; they decide in which order the aligner sees records, not the fused result.
 */
export const OBSERVATION_LATENCY_US: Readonly<Record<FusionPayload['kind'], number>> = { camera: 40_000, lidar: 30_000, audio: 10_000, motion: 1_000 };

function truthObjects(t: TruthRecord, cameraTruth: TruthRecord | undefined, cameraDelivered: boolean): TruthObject[] {
  const cam = new Map<number, number>();
  if (cameraTruth !== undefined && cameraDelivered) for (const o of cameraTruth.objects) cam.set(o.id, o.camera?.visibleFraction ?? 0);
  return t.objects.map((o) => ({
    id: o.id,
    objectClass: o.objectClass,
    x: o.boxEgo.centerM[0], y: o.boxEgo.centerM[1], z: o.boxEgo.centerM[2],
    length: o.boxEgo.lengthM, width: o.boxEgo.widthM, height: o.boxEgo.heightM, yawRad: o.boxEgo.yawRad,
    vx: o.velocityEgoMps[0], vy: o.velocityEgoMps[1],
    lidarPoints: o.lidar?.points ?? 0,
    cameraVisible: cam.get(o.id) ?? 0,
  }));
}

/**
 * The non-ground points of a sweep as the LIDAR worker's chain leaves them before clustering (same
 * parameters as its LidarCore), x y z interleaved in the LIDAR frame: what early fusion paints.
 */
export function nonGroundPoints(scan: LidarScan, params: LidarParams): Float32Array {
  const result = processScan({ bytes: scan.data, layout: { fields: scanFields(scan), stride: scan.pointStride, count: scan.pointCount } }, params);
  const { cloud, groundMask } = result;
  let n = 0;
  for (let i = 0; i < cloud.length; i++) if (groundMask[i] !== 1) n++;
  const out = new Float32Array(3 * n);
  for (let i = 0, j = 0; i < cloud.length; i++) {
    if (groundMask[i] === 1) continue;
    out[j++] = cloud.x[i] ?? 0;
    out[j++] = cloud.y[i] ?? 0;
    out[j++] = cloud.z[i] ?? 0;
  }
  return out;
}

/**
 * Runs the simulator and the four workers' cores for one scene. The camera frames go to the detector as
 * the simulator renders them (rgb8, as the detector's training set was made), not through JPEG.
 */
export async function generateScene(key: SceneKey, log: (line: string) => void = () => undefined): Promise<Scene> {
  const scenario = { ...presetScenario(key.preset), durationS: key.durationS };
  const sim = new CoreSimulation(scenario, { seed: key.seed, sensors: ['camera', 'lidar', 'audio', 'imu', 'gnss'] });
  const calibration = toRigCalibration(sim.calibration, scenario, 1, scenario.startTimeUs);
  const cameraConfig = loadCameraConfig({});
  const audioConfig = loadAudioConfig({});
  const lidarConfig = loadLidarConfig({});
  const opened = await openDetector(cameraConfig.model);
  const vad = audioConfig.audio.vad.mode === 'on' ? await openSileroPool({ workers: 1 }) : undefined;
  const clock = () => 0;
  const camera = new CameraCore({ detector: opened.detector, spec: opened.spec, params: { ...cameraConfig.camera, maxQueueDelayUs: 0 }, counters: newCameraCounters(), nowUs: clock });
  const lidar = new LidarCore({ params: lidarParams(lidarConfig.lidar), truckMinLengthM: lidarConfig.lidar.box.truckMinLengthM, emptyScan: 'publish-empty', nowUs: clock });
  const audio = new AudioCore({ params: audioConfig.audio, nowUs: clock, ...(vad === undefined ? {} : { vadRunner: vad }) });
  const motion = new MotionCore(motionCoreOptions(loadMotionConfig({}), clock));
  const chainParams = lidarParams(lidarConfig.lidar);
  const costMs: Record<string, number> = { simulate: 0, camera: 0, lidar: 0, points: 0, audio: 0, motion: 0 };
  const sweepPoints = new Map<number, Float32Array>();
  const cpu0 = process.cpuUsage();
  const observations: SceneObservation[] = [];
  const lidarTruth = new Map<number, TruthRecord>();
  const cameraTruthByTime = new Map<number, TruthRecord>();
  const lidarCapture = new Map<number, number>();
  const cameraDeliveredTimes = new Set<number>();
  const ctx = (publishTimeUs: number) => ({ receivedAtUs: publishTimeUs, topic: 'raw', partition: 0, offset: '0' });
  const push = (deliveryUs: number, payload: FusionPayload) => observations.push({ deliveryUs, payload });
  try {
    const it = sim.records();
    for (;;) {
      let t0 = performance.now();
      const next = it.next();
      costMs.simulate = (costMs.simulate ?? 0) + performance.now() - t0;
      if (next.done === true) break;
      const r = next.value;
      t0 = performance.now();
      switch (r.kind) {
        case 'truth':
          if (r.forSensorId === sim.calibration.lidars[0]?.sensorId) lidarTruth.set(r.forSeq, r);
          else if (r.forSensorId === sim.calibration.cameras[0]?.sensorId) cameraTruthByTime.set(r.trueCaptureTimeUs, r);
          break;
        case 'camera': {
          cameraDeliveredTimes.add(r.trueCaptureTimeUs);
          const out: readonly CameraDetections[] = await camera.update(toCameraFrame(r), ctx(r.publishTimeUs));
          for (const o of out) push(r.publishTimeUs + OBSERVATION_LATENCY_US.camera, { kind: 'camera', value: o });
          costMs.camera = (costMs.camera ?? 0) + performance.now() - t0;
          break;
        }
        case 'lidar': {
          lidarCapture.set(r.seq, r.captureTimeUs);
          const scan = toLidarScan(r);
          const out: LidarObjects[] = lidar.update(scan);
          for (const o of out) push(r.publishTimeUs + OBSERVATION_LATENCY_US.lidar, { kind: 'lidar', value: o });
          costMs.lidar = (costMs.lidar ?? 0) + performance.now() - t0;
          // The chain runs a second time for its intermediate cloud (LidarCore returns objects only).
          t0 = performance.now();
          sweepPoints.set(scan.seq, nonGroundPoints(scan, chainParams));
          costMs.points = (costMs.points ?? 0) + performance.now() - t0;
          break;
        }
        case 'audio': {
          const out: AudioEvents[] = await audio.update(toAudioChunk(r));
          for (const o of out) push(r.publishTimeUs + OBSERVATION_LATENCY_US.audio, { kind: 'audio', value: o });
          costMs.audio = (costMs.audio ?? 0) + performance.now() - t0;
          break;
        }
        case 'imu':
        case 'gnss': {
          const out: EgoState[] = motion.update(toMotionSample(r), { receivedAtUs: r.publishTimeUs });
          for (const o of out) push(r.publishTimeUs + OBSERVATION_LATENCY_US.motion, { kind: 'motion', value: o });
          costMs.motion = (costMs.motion ?? 0) + performance.now() - t0;
          break;
        }
        case 'device':
          break;
      }
    }
  } finally {
    await opened.close();
    await vad?.close();
  }
  observations.sort((a, b) => a.deliveryUs - b.deliveryUs);
  const truth: SweepTruth[] = [];
  for (const [seq, t] of [...lidarTruth].sort((a, b) => a[0] - b[0])) {
    const captureTimeUs = lidarCapture.get(seq);
    if (captureTimeUs === undefined) continue; // sweep not delivered
    const delivered = cameraDeliveredTimes.has(t.trueCaptureTimeUs);
    truth.push({ seq, captureTimeUs, trueTimeUs: t.trueCaptureTimeUs, cameraDelivered: delivered, objects: truthObjects(t, cameraTruthByTime.get(t.trueCaptureTimeUs), delivered) });
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time of this process while making the scene (main thread plus inference and GC threads).
  costMs.cpu = (cpu.user + cpu.system) / 1000;
  log(`${sceneName(key)}: ${String(observations.length)} observations, ${String(truth.length)} sweeps; ms ${Object.entries(costMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  return { ...key, format: SCENE_FORMAT, startTimeUs: scenario.startTimeUs, calibration, observations, truth, costMs, detectorModelId: opened.spec.modelId, sweepPoints };
}
