/**
 * Child process of the pipeline benchmark: embedded mode. The same workers as deployed mode (camera
 * with the shipped detector, LIDAR, audio, motion, fusion), wired as services/cli's embedded
 * pipeline does, on one MemoryBus with a MemoryStateStore; the recorded rig replayed into it at 1×
 * for `durationS`. Reports fused frames/s and capture → fused latency to the parent at the end.
 *
 *   BENCH_EMBEDDED='{"file":"rig.mcap","calibrationFile":"cal.json","rigs":1,"durationS":20,"warmUpS":5}'
 */
import fs from 'node:fs';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { loadAudioConfig, openAudioWorker } from '@sensorfuse/audio-worker';
import { loadCameraConfig, openCameraWorker } from '@sensorfuse/camera-worker';
import { createFusionWorker, loadFusionConfig } from '@sensorfuse/fusion-worker';
import { createLidarWorker, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { createMotionWorker, loadMotionConfig } from '@sensorfuse/motion-worker';
import { replay, type ReplayController } from '@sensorfuse/recorder';
import { fusedDetectionsSchema, type FusedDetections, type RigCalibration } from '@sensorfuse/schemas';
import { MemoryStateStore } from '@sensorfuse/state';
import { nowUs } from '@sensorfuse/time';
import { MemoryBus } from '@sensorfuse/transport';
import type { Worker } from '@sensorfuse/worker';
import { RigBus } from './rig-bus.js';
import { RAW_TOPICS, rigIdOf } from './workload.js';

interface EmbeddedConfig {
  readonly file: string;
  readonly calibrationFile: string;
  readonly rigs: number;
  readonly durationS: number;
  readonly warmUpS: number;
}

export interface EmbeddedReport {
  readonly type: 'embedded';
  readonly rigs: number;
  readonly durationS: number;
  /** Fused frames after warm-up per second, and the LIDAR sweeps published per second (what it could be). */
  readonly fusedPerS: number;
  readonly sweepsPerS: number;
  /** capture → fused latency samples after warm-up, ms. */
  readonly latenciesMs: readonly number[];
  readonly cameraObsPerS: number;
  readonly cameraPerS: number;
}

const config = JSON.parse(process.env.BENCH_EMBEDDED ?? '') as EmbeddedConfig;
const calibration = JSON.parse(fs.readFileSync(config.calibrationFile, 'utf8')) as RigCalibration;
const bus = new MemoryBus();
const store = new MemoryStateStore();
const topics = [...RAW_TOPICS, 'obs.camera', 'obs.lidar', 'obs.audio', 'obs.motion', 'fused.detections'];
await bus.admin.createTopics(topics.map((topic) => ({ topic, partitions: 1 })));
const fusion = createFusionWorker(bus, loadFusionConfig({}), store);
for (let i = 0; i < config.rigs; i++) await fusion.calibration.publish({ ...calibration, rigId: rigIdOf(i) });
const workers: Worker[] = [
  createLidarWorker(bus, loadLidarConfig({})),
  createMotionWorker(bus, loadMotionConfig({})),
  fusion,
  // The environment carries only the bench's fallback switches (SENSORFUSE_AUDIO_EVENTS_MODE when the model is absent).
  await openAudioWorker(bus, loadAudioConfig(process.env)),
  await openCameraWorker(bus, loadCameraConfig({})),
];
for (const w of workers) {
  w.start((error: unknown) => {
    console.error(`embedded ${w.name} failed:`, error);
  });
}

const fused = createCodec<FusedDetections>(new SchemaRegistry(), fusedDetectionsSchema);
const latenciesMs: number[] = [];
let startMs = 0;
let fusedAfterWarmUp = 0;
let sweeps = 0;
let cameraFrames = 0;
let cameraObs = 0;
const warm = (): boolean => startMs > 0 && Date.now() - startMs >= config.warmUpS * 1000;
const observer = bus
  .subscribe({ groupId: 'bench-embedded-observer', topics: ['fused.detections', 'obs.camera'], highWaterMark: Number.POSITIVE_INFINITY })
  .subscribe((record) => {
    if (!warm()) return;
    if (record.topic === 'obs.camera') {
      cameraObs += 1;
      return;
    }
    const frame = fused.decode(record.value);
    fusedAfterWarmUp += 1;
    latenciesMs.push((nowUs() - frame.captureTimeUs) / 1000);
  });

const controllers: ReplayController[] = [];
startMs = Date.now();
for (let i = 0; i < config.rigs; i++) {
  controllers.push(
    replay({
      bus: new RigBus(bus, rigIdOf(i), (topic, records) => {
        if (!warm()) return;
        if (topic === 'raw.lidar') sweeps += records.length;
        else if (topic === 'raw.camera') cameraFrames += records.length;
      }),
      files: config.file,
      rate: 1,
      loop: 'forever',
      retime: 'now',
      includeTopics: [...RAW_TOPICS],
    }),
  );
}
await new Promise((resolve) => setTimeout(resolve, config.durationS * 1000));
for (const c of controllers) c.stop();
await Promise.allSettled(controllers.map((c) => c.done));
const measuredS = config.durationS - config.warmUpS;
const report: EmbeddedReport = {
  type: 'embedded',
  rigs: config.rigs,
  durationS: measuredS,
  fusedPerS: fusedAfterWarmUp / measuredS,
  sweepsPerS: sweeps / measuredS,
  latenciesMs,
  cameraObsPerS: cameraObs / measuredS,
  cameraPerS: cameraFrames / measuredS,
};
process.send?.(report);
observer.unsubscribe();
await Promise.allSettled(workers.map((w) => w.drain()));
await bus.close();
if (process.connected) process.disconnect();
process.exit(0);
