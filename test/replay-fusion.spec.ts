import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { createFusionWorker, calibrationKey, loadFusionConfig, type FusionWorker } from '@sensorfuse/fusion-worker';
import { createLidarWorker, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { createMotionWorker, loadMotionConfig } from '@sensorfuse/motion-worker';
import { REPLAY_EPOCH_HEADER, Recording, RecordingWriter, SchemaCatalog, record, replay } from '@sensorfuse/recorder';
import { fusedDetectionsSchema, rigCalibrationSchema, type FusedDetections, type RigCalibration } from '@sensorfuse/schemas';
import { createSimulation, presetScenario, publishCalibration, publishSimulation, toRigCalibration, type SimRecord } from '@sensorfuse/simulator';
import { MemoryStateStore } from '@sensorfuse/state';
import { nowUs } from '@sensorfuse/time';
import { MemoryBus, type ConsumedRecord } from '@sensorfuse/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Issue 10 "replay ≡ live", loop and seek through the fusion worker. The live run is a short simulated
 * drive (urban-day, seed 7, 3 s): simulator → LIDAR and motion workers → obs.lidar / obs.motion → fusion
 * worker, while the recorder records what fusion consumes (obs.lidar, obs.motion, calibration.rig). The
 * live motion stream goes through a link that delays it 400 ms (a slow worker or network), twice the
 * aligner's 200 ms timeout: with processing-time timeouts the live frames would give up on motion and
 * the replay's would not.
 * The recording is then replayed in deterministic mode into a fresh bus and a fresh fusion worker.
 * Both fusion workers align in event time (`align.time: event` in their config), so what a frame holds depends on the
 * records, not on how fast this (shared, loaded) machine processed them.
 */
const INPUTS = ['obs.lidar', 'obs.motion'];
/** The live motion worker publishes here; a relay passes its records on to obs.motion 400 ms later. */
const MOTION_UPSTREAM = 'obs.motion.upstream';
const MOTION_LINK_DELAY_MS = 400;
// obs.camera and obs.audio exist (the fusion worker subscribes to them) but stay empty in this drive.
const TOPICS = ['raw.lidar', 'raw.motion', 'raw.camera', 'raw.audio', 'raw.sensor', 'sim.truth', 'calibration.rig', ...INPUTS, 'obs.camera', 'obs.audio', 'fused.detections', MOTION_UPSTREAM];
const SECONDS = 3;
// idle timeout above the whole drive: a replay delivers each topic in batches of 64 records, so LIDAR can
// be seconds ahead of motion; no live input may count as idle for that (see @sensorfuse/align event time).
const fusionConfig = (() => {
  const base = loadFusionConfig({});
  return { ...base, groupId: 'fusion', align: { ...base.align, idleTimeoutUs: 60_000_000, time: 'event' as const } };
})();
const registry = new SchemaRegistry();
const fusedCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);

async function until(condition: () => boolean, what: () => string, timeoutMs = 240_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A bus with the pipeline topics and an observer that keeps every record per topic. */
async function observedBus(): Promise<{ bus: MemoryBus; seen: Record<string, ConsumedRecord[]>; count: (t: string) => number; close: () => void }> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([...TOPICS, ...TOPICS.map((t) => `${t}.dlq`)].map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 * 1024 * 1024 })));
  const seen: Record<string, ConsumedRecord[]> = {};
  const sub = bus
    .subscribe({ groupId: 'observer', topics: [...TOPICS, ...TOPICS.map((t) => `${t}.dlq`)], fromBeginning: true, highWaterMark: Infinity, highWaterMarkBytes: Infinity })
    .subscribe((r) => { (seen[r.topic] ??= []).push(r); });
  return { bus, seen, count: (t) => seen[t]?.length ?? 0, close: () => { sub.unsubscribe(); } };
}

/** Waits until the fusion worker consumed every input record on the bus, then drains it (end of stream). */
async function finish(fusion: FusionWorker, inputs: () => number): Promise<void> {
  await until(() => fusion.stats().consumed >= inputs() && inputs() > 0, () => `fusion consumed ${fusion.stats().consumed} of ${inputs()}`);
  await fusion.drain();
  await new Promise((r) => setTimeout(r, 50)); // the observer's last delivery turn
}

/**
 * The fused frames as a user reads them, without `publishTimeUs` (when fusion sent the frame: processing
 * time, differs on every run by design) and, with `withoutSeq`, without `seq` (a looped replay keeps
 * counting frames: loop 2's frames follow loop 1's).
 */
function fusedFrames(records: readonly ConsumedRecord[] | undefined, withoutSeq = false): unknown[] {
  return (records ?? []).map((r) => {
    const frame: Partial<FusedDetections> = { ...fusedCodec.decode(r.value) };
    delete frame.publishTimeUs;
    if (withoutSeq) delete frame.seq;
    return frame;
  });
}

interface Live {
  readonly dir: string;
  readonly files: readonly string[];
  readonly frames: readonly ConsumedRecord[];
  readonly calibration: RigCalibration;
  readonly startTimeUs: number;
}

let live: Live | undefined;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-fusion-'));
  const { bus, seen, count, close } = await observedBus();
  const store = new MemoryStateStore();
  const fusion = createFusionWorker(bus, fusionConfig, store);
  const workers = [
    createLidarWorker(bus, { ...loadLidarConfig({}), groupId: 'lidar' }),
    createMotionWorker(bus, { ...loadMotionConfig({}), groupId: 'motion', outputTopic: MOTION_UPSTREAM }),
  ];
  // The slow link: every motion record reaches obs.motion 400 ms after the worker sent it, in order.
  let relayed = 0;
  const relay = bus.subscribe({ groupId: 'slow-link', topics: [MOTION_UPSTREAM], fromBeginning: true, highWaterMark: Infinity, highWaterMarkBytes: Infinity }).subscribe((r) => {
    setTimeout(() => {
      void bus.publish('obs.motion', [{ key: r.rawKey, value: r.value, headers: r.headers }]).then(() => { relayed++; });
    }, MOTION_LINK_DELAY_MS);
  });
  const errors: unknown[] = [];
  const recorder = await record({ bus, topics: [...INPUTS, 'calibration.rig'], path: path.join(dir, 'live.mcap'), fromBeginning: true });
  // A minute in the past: the workers reject capture times ahead of the broker clock.
  const startTimeUs = nowUs() - 60_000_000;
  const scenario = { ...presetScenario('urban-day'), durationS: SECONDS };
  const simulation = createSimulation(scenario, { seed: 7, startTimeUs });
  const calibration = toRigCalibration(simulation.core.calibration, simulation.scenario, 1, startTimeUs);
  await fusion.calibration.publish(calibration);
  await publishCalibration(bus, calibration);
  for (const w of [...workers, fusion]) w.start((e) => errors.push(e));
  async function* lidarAndMotion(): AsyncIterable<SimRecord> {
    for await (const r of simulation) if (r.kind === 'lidar' || r.kind === 'imu' || r.kind === 'gnss') yield r;
  }
  await publishSimulation(lidarAndMotion(), { bus });
  await until(() => count('obs.lidar') + count('raw.lidar.dlq') >= count('raw.lidar') && count('raw.lidar') > 0, () => `sweeps: ${count('obs.lidar')}/${count('raw.lidar')}`);
  let last = -1;
  await until(() => {
    const n = count(MOTION_UPSTREAM);
    const stable = n === last && n > 0;
    last = n;
    return stable;
  }, () => 'motion output', 120_000);
  await Promise.all(workers.map((w) => w.drain()));
  await until(() => relayed === count(MOTION_UPSTREAM) && count('obs.motion') === relayed, () => `relayed ${relayed} of ${count(MOTION_UPSTREAM)}`);
  relay.unsubscribe();
  await finish(fusion, () => count('obs.lidar') + count('obs.motion'));
  await recorder.whenReceived(count('obs.lidar') + count('obs.motion') + count('calibration.rig'));
  const written = await recorder.stop();
  close();
  expect(errors).toEqual([]);
  expect(count('raw.lidar.dlq') + count('raw.motion.dlq') + count('obs.lidar.dlq') + count('obs.motion.dlq')).toBe(0);
  expect(fusion.stats().framesWithoutCalibration).toBe(0);
  live = { dir, files: written.files, frames: seen['fused.detections'] ?? [], calibration, startTimeUs };
}, 600_000);

afterAll(() => {
  if (live !== undefined) fs.rmSync(live.dir, { recursive: true, force: true });
});

/** Replays `files` into a fresh bus and fusion worker (empty state store unless told otherwise). */
async function replayIntoFusion(
  files: string | readonly string[],
  options: { readonly loop?: number; readonly preload?: RigCalibration },
): Promise<{ frames: ConsumedRecord[]; fusion: FusionWorker; store: MemoryStateStore; replayed: ConsumedRecord[] }> {
  const { bus, seen, count, close } = await observedBus();
  const store = new MemoryStateStore();
  const fusion = createFusionWorker(bus, fusionConfig, store);
  if (options.preload !== undefined) await fusion.calibration.publish(options.preload);
  const errors: unknown[] = [];
  fusion.start((e) => errors.push(e));
  const stats = await replay({ bus, files, rate: 'max', ...(options.loop === undefined ? {} : { loop: options.loop }) }).done;
  expect(stats.published).toBeGreaterThan(0);
  await finish(fusion, () => count('obs.lidar') + count('obs.motion'));
  close();
  expect(errors).toEqual([]);
  return { frames: seen['fused.detections'] ?? [], fusion, store, replayed: [...(seen['obs.lidar'] ?? []), ...(seen['obs.motion'] ?? [])] };
}

describe('fusion over a replay', () => {
  it('the fusion output over a deterministic replay equals the output over the live run', async () => {
    if (live === undefined) throw new Error('live run missing');
    expect(live.frames.length).toBeGreaterThanOrEqual(SECONDS * 10 - 2);
    const liveFrames = fusedFrames(live.frames);
    // The live run really fused: LIDAR and motion present, tracks formed.
    expect(liveFrames.some((f) => (f as FusedDetections).tracks.length > 0)).toBe(true);
    expect(liveFrames.every((f) => (f as FusedDetections).presentModalities.includes('motion'))).toBe(true);
    const replayed = await replayIntoFusion(live.files, { preload: live.calibration });
    expect(fusedFrames(replayed.frames)).toEqual(liveFrames);
  }, 300_000);

  it('a recording looped twice: the fusion worker resets at the loop and the second loop fuses to the same frames as the first', async () => {
    if (live === undefined) throw new Error('live run missing');
    const looped = await replayIntoFusion(live.files, { preload: live.calibration, loop: 2 });
    // every replayed record carries the epoch header (0 in the first loop, 1 in the second)
    const epochs = new Set(looped.replayed.map((r) => r.headers[REPLAY_EPOCH_HEADER]?.toString().split(':')[1]));
    expect([...epochs].sort()).toEqual(['0', '1']);
    expect(looped.fusion.stats().epochResets).toBe(1);
    const n = live.frames.length;
    expect(looped.frames).toHaveLength(2 * n);
    const first = fusedFrames(looped.frames.slice(0, n), true);
    const second = fusedFrames(looped.frames.slice(n), true);
    expect(first).toEqual(fusedFrames(live.frames, true));
    expect(second).toEqual(first);
    // seq keeps counting across the loop (one output stream per rig)
    const seqs = looped.frames.map((r) => fusedCodec.decode(r.value).seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
  }, 300_000);

  it('after a seek the fusion worker has the calibration valid there, from the recording (no pre-filled registry)', async () => {
    if (live === undefined) throw new Error('live run missing');
    const { startTimeUs } = live;
    // The live recording plus a second calibration version valid from 1.5 s into the drive (the camera
    // moved 10 cm): a seek to 2 s must hand fusion version 2, the newest one before the seek point.
    const midUs = live.startTimeUs + 1_500_000;
    const v2: RigCalibration = {
      ...live.calibration,
      version: 2,
      validFromUs: midUs,
      sensors: live.calibration.sensors.map((s) => (s.modality === 'camera'
        ? { ...s, extrinsics: { ...s.extrinsics, transform: s.extrinsics.transform.map((v, i) => (i === 3 ? v + 0.1 : v)) } }
        : s)),
    };
    const file = path.join(live.dir, 'two-calibrations.mcap');
    const writer = new RecordingWriter({ path: file, catalog: new SchemaCatalog() });
    const calCodec = createCodec<RigCalibration>(new SchemaRegistry(), rigCalibrationSchema);
    const source = await Recording.open(live.files);
    let wroteV2 = false;
    for await (const m of source.messages()) {
      if (!wroteV2 && m.logTimeUs >= midUs) {
        await writer.add({ topic: 'calibration.rig', key: Buffer.from(live.calibration.rigId), headers: {}, value: calCodec.encode(v2), timestampUs: midUs });
        wroteV2 = true;
      }
      await writer.add({ topic: m.topic, key: m.key, headers: m.headers, value: m.value, timestampUs: m.publishTimeUs });
    }
    await source.close();
    await writer.close();

    const seekTo = 2_000_000;
    /** Deterministic replay of the file that seeks once, 0.5 s into the drive, to 2 s. */
    const withSeek = async (sink: boolean) => {
      const { bus, seen, count, close } = await observedBus();
      const store = new MemoryStateStore();
      const fusion = createFusionWorker(bus, fusionConfig, store);
      fusion.start(() => undefined);
      const control: { seek?: (offsetUs: number) => void } = {};
      let seeked = false;
      const controller = replay({
        bus, files: file, rate: 'max', epochs: 'header',
        ...(sink ? { calibration: fusion.calibration } : {}),
        onProgress: (p) => {
          if (!seeked && p.logTimeUs >= startTimeUs + 500_000) {
            seeked = true;
            control.seek?.(seekTo);
          }
        },
      });
      control.seek = (offsetUs) => { controller.seek(offsetUs); };
      const stats = await controller.done;
      await finish(fusion, () => count('obs.lidar') + count('obs.motion'));
      close();
      return { stats, fusion, store, frames: seen['fused.detections'] ?? [] };
    };
    const withSink = await withSeek(true);
    expect(withSink.stats.seeks).toBe(1);
    // Versions handed to the registry: v1 at the start, v2 (newest at or before the seek point) at the seek.
    const versions = await withSink.store.listVersions(calibrationKey(live.calibration.rigId));
    expect(versions.map((v) => v.validFromUs)).toEqual([live.startTimeUs, midUs]);
    const afterSeek = withSink.frames.map((r) => fusedCodec.decode(r.value)).filter((f) => f.captureTimeUs >= startTimeUs + seekTo);
    expect(afterSeek.length).toBeGreaterThanOrEqual(8);
    expect(withSink.fusion.stats().framesWithoutCalibration).toBe(0);
    expect(withSink.fusion.calibration.at(live.calibration.rigId, live.startTimeUs + seekTo).validFromUs).toBe(midUs);
    // Without the sink the fusion worker, whose registry is empty, fuses nothing: the calibration on
    // calibration.rig alone does not reach it.
    const withoutSink = await withSeek(false);
    expect(withoutSink.frames).toHaveLength(0);
    expect(withoutSink.fusion.stats().framesWithoutCalibration).toBeGreaterThan(0);
  }, 300_000);
});
