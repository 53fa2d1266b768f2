/**
 * The benchmark workload: one simulated rig (camera 12 Hz 640x384 JPEG, 32-beam LIDAR 20 Hz, 4-channel
 * 16 kHz audio in 100 ms chunks, IMU 200 Hz, GNSS 10 Hz) and a "KITTI-class" variant (64-beam LIDAR,
 * 10 Hz, ~120k points per sweep). Each is simulated once, published to a MemoryBus and recorded to
 * MCAP with @sensorfuse/recorder; every measurement replays those files.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadAudioConfig } from '@sensorfuse/audio-worker';
import { loadFusionConfig } from '@sensorfuse/fusion-worker';
import { Recording, record } from '@sensorfuse/recorder';
import { createSimulation, publishSimulation, resolveScenario, toRigCalibration, type Scenario } from '@sensorfuse/simulator';
import { MemoryBus } from '@sensorfuse/transport';

export const RAW_TOPICS = ['raw.camera', 'raw.lidar', 'raw.audio', 'raw.motion'] as const;
export type RawTopic = (typeof RAW_TOPICS)[number];

export type WorkloadName = 'rig' | 'kitti-class';

/** Rig id of rig number i (0-based) in a run. */
export function rigIdOf(index: number): string {
  return `bench-rig-${String(index)}`;
}

export function scenarioFor(name: WorkloadName, durationS: number): Scenario {
  const lidar = name === 'rig' ? { rateHz: 20, beams: 32, azimuthSteps: 1100 } : { rateHz: 10, beams: 64, azimuthSteps: 1900 };
  return resolveScenario({
    rigId: rigIdOf(0),
    durationS,
    sensors: {
      camera: { rateHz: 12, width: 640, height: 384, encoding: 'jpeg' },
      lidar,
      audio: { sampleRateHz: 16_000, chunkMs: 100 },
      imu: { rateHz: 200 },
      gnss: { rateHz: 10 },
      // The rig has no generic device sensors.
      devices: { rateHz: 0 },
    },
  });
}

export interface RecordedWorkload {
  readonly name: WorkloadName;
  readonly path: string;
  readonly durationS: number;
  /** Per raw topic: records and value bytes in the recording, and the per-second rates. */
  readonly topics: Readonly<Record<string, { readonly records: number; readonly bytes: number; readonly perS: number; readonly bytesPerS: number }>>;
  readonly bytesPerS: number;
  readonly lidarPointsMean: number;
  readonly cameraJpegBytesMean: number;
  readonly recordSeconds: number;
  /** The rig calibration (rig 0), for the fusion worker's registry. */
  readonly calibration: ReturnType<typeof toRigCalibration>;
}

/** Simulates `name` for `durationS` as fast as possible and records it (uncompressed: replay at 1× must not be CPU-bound). */
export async function recordWorkload(name: WorkloadName, durationS: number, path: string, reuse = false): Promise<RecordedWorkload> {
  // Development aid: a recording kept from an earlier run with the same duration is used again.
  if (reuse && fs.existsSync(`${path}.json`) && fs.existsSync(path)) {
    const kept = JSON.parse(fs.readFileSync(`${path}.json`, 'utf8')) as RecordedWorkload;
    if (kept.durationS === durationS) return kept;
  }
  const started = performance.now();
  const scenario = scenarioFor(name, durationS);
  const bus = new MemoryBus();
  await bus.admin.createTopics([...RAW_TOPICS, 'calibration.rig'].map((topic) => ({ topic, partitions: 1, deadLetterTopic: 'none' as const })));
  fs.rmSync(path, { force: true });
  const recorder = await record({ bus, topics: [...RAW_TOPICS], path, compression: 'none', fromBeginning: true, metadata: { workload: name, durationS: String(durationS) } });
  const simulation = createSimulation(scenario, { seed: 7 });
  const calibration = toRigCalibration(simulation.core.calibration, scenario, 1, 0);
  const stats = await publishSimulation(simulation, { bus, truth: 'omit' });
  // The recorder consumes asynchronously: wait until it has everything before stopping it.
  const deadline = performance.now() + 60_000;
  const published = Object.values(stats.records).reduce((a, n) => a + n, 0);
  while (recorder.received() < published && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await recorder.stop();
  await bus.close();

  const rec = await Recording.open(path);
  const counts: Record<string, { records: number; bytes: number }> = {};
  let points = 0;
  let sweeps = 0;
  let jpegBytes = 0;
  let frames = 0;
  try {
    for await (const m of rec.messages({ topics: [...RAW_TOPICS] })) {
      const c = (counts[m.topic] ??= { records: 0, bytes: 0 });
      c.records += 1;
      c.bytes += m.value.byteLength;
      if (m.topic === 'raw.lidar') {
        // 20-byte points (x, y, z, intensity, ring); the Avro header and descriptor are < 200 bytes.
        points += Math.floor((m.value.byteLength - 200) / 20);
        sweeps += 1;
      } else if (m.topic === 'raw.camera') {
        jpegBytes += m.value.byteLength;
        frames += 1;
      }
    }
  } finally {
    await rec.close();
  }
  const topics = Object.fromEntries(
    Object.entries(counts).map(([t, c]) => [t, { ...c, perS: c.records / durationS, bytesPerS: c.bytes / durationS }]),
  );
  const recorded: RecordedWorkload = {
    name,
    path,
    durationS,
    topics,
    bytesPerS: Object.values(counts).reduce((a, c) => a + c.bytes, 0) / durationS,
    lidarPointsMean: sweeps === 0 ? 0 : points / sweeps,
    cameraJpegBytesMean: frames === 0 ? 0 : jpegBytes / frames,
    recordSeconds: (performance.now() - started) / 1000,
    calibration,
  };
  fs.writeFileSync(`${path}.json`, JSON.stringify(recorded));
  return recorded;
}

/**
 * Extra audio-worker environment: the sound-event classifier switched off when its shipped model
 * file is absent (a checkout where it has not landed yet), so the rest of the pipeline can still be
 * measured; the report says so. Empty when the model is there.
 */
export function audioWorkerFallbackEnv(): Record<string, string> {
  const model = fileURLToPath(new URL('../../models/audio-events/audio-events.onnx', import.meta.url));
  // Only an audio worker that has the classifier knows the switch (unknown keys are rejected).
  const hasClassifier = 'events' in (loadAudioConfig({}) as object);
  return !hasClassifier || fs.existsSync(model) ? {} : { SENSORFUSE_AUDIO_EVENTS_MODE: 'off' };
}

/** Extra fusion-worker environment: the optional device-sensor input off (the rig has no device sensors), where the worker has it. */
export function fusionWorkerExtraEnv(): Record<string, string> {
  return 'sensor' in (loadFusionConfig({}).topics as object) ? { SENSORFUSE_FUSION_TOPICS_SENSOR: '' } : {};
}
