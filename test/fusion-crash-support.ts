/**
 * Shared pieces of the fusion crash and scale tests (test/fusion-crash.spec.ts, test/fusion-scale.spec.ts):
 * obs.lidar and obs.motion records made from the simulator's world truth (fast: no ray casting, no images),
 * the rig calibration, fusion worker child processes, and the read_committed reader of fused.detections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { createFusionWorker, loadFusionConfig } from '@sensorfuse/fusion-worker';
import { egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema, type EgoState, type FusedDetections, type LidarObjects, type RigCalibration } from '@sensorfuse/schemas';
import { Rng, World, presetScenario } from '@sensorfuse/simulator';
import type { StateStore } from '@sensorfuse/state';
import { headerText, type Bus, type ConsumedRecord, type OutgoingRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { uniqueName } from './support/infra.js';

export const T0 = 1_767_225_600_000_000;
export const SWEEP_US = 100_000;
/** Objects farther than this from the rig are not in its LIDAR objects. */
export const LIDAR_RANGE_M = 50;
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
/** Header the fusion worker puts on every output record: which instance produced it. */
export const INSTANCE_HEADER = 'x-sensorfuse-instance';

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarObjects>(registry, lidarObjectsSchema);
const egoCodec = createCodec<EgoState>(registry, egoStateSchema);
const fusedCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);

/** A truth object seen by a sweep, in the rig's body frame (x forward, y left). */
export interface TruthInSweep {
  readonly id: number;
  readonly x: number;
  readonly y: number;
}

/** The records of one rig's sweep i and the truth they were made from. */
export interface RigSweep {
  readonly captureTimeUs: number;
  readonly records: { topic: 'lidar' | 'motion'; value: Buffer }[];
  readonly truth: TruthInSweep[];
}

/** LIDAR-only calibration: the LIDAR at the body origin (the motion input is not calibrated). */
export function lidarCalibration(rigId: string): RigCalibration {
  return {
    rigId, version: 1, validFromUs: 0,
    sensors: [{ sensorId: 'lidar_top', modality: 'lidar', frameId: 'lidar_top', extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar_top', transform: IDENTITY }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 }],
  };
}

function yawQuaternion(yaw: number) {
  return { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
}

/**
 * `sweeps` LIDAR sweeps (10 Hz) of one rig driving the simulator's `urban-day` world with `seed`: per sweep
 * the ego state 5 ms before and 45 ms after it (obs.motion, world frame) and the LIDAR objects (obs.lidar)
 * = the truth boxes within LIDAR_RANGE_M in the body frame, with 0.1 m position noise and 3 % of
 * detections missed (seeded).
 */
export function simulateRig(rigId: string, seed: number, sweeps: number): RigSweep[] {
  const scenario = presetScenario('urban-day');
  const world = new World({ ...scenario, durationS: sweeps * (SWEEP_US / 1e6) + 2 }, seed);
  const rng = Rng.forName(seed, `crash-test-${rigId}`);
  const header = (sensorId: string, seq: number, captureTimeUs: number, frameId: string) => ({ rigId, sensorId, seq, captureTimeUs, publishTimeUs: captureTimeUs, frameId });
  const ego = (seq: number, timeUs: number): Buffer => {
    const k = world.egoKinematics((timeUs - T0) / 1e6);
    return egoCodec.encode({
      ...header('ins', seq, timeUs, 'enu'),
      position: { x: k.pose.position[0], y: k.pose.position[1], z: k.pose.position[2] },
      velocity: { x: k.velocityWorld[0], y: k.velocityWorld[1], z: k.velocityWorld[2] },
      attitude: yawQuaternion(k.pose.yaw),
      angularVelocity: { x: 0, y: 0, z: k.angularVelocityBody[2] },
      covariance: new Array<number>(81).fill(0), predictOnly: false, imuTimeout: false, gnssTimeout: false, rejectedMeasurements: 0, imputedSamples: 0,
    });
  };
  const out: RigSweep[] = [];
  for (let i = 0; i < sweeps; i++) {
    const t = T0 + i * SWEEP_US;
    const tS = i * (SWEEP_US / 1e6);
    const pose = world.egoPose(tS);
    const c = Math.cos(pose.yaw);
    const s = Math.sin(pose.yaw);
    const truth: TruthInSweep[] = [];
    const objects: LidarObjects['objects'] = [];
    for (const state of world.objectStates(tS)) {
      const dx = state.box.center[0] - pose.position[0];
      const dy = state.box.center[1] - pose.position[1];
      const x = c * dx + s * dy;
      const y = -s * dx + c * dy;
      const range = Math.hypot(x, y);
      if (range > LIDAR_RANGE_M) continue;
      truth.push({ id: state.object.id, x, y });
      if (rng.next() < 0.03) continue;
      objects.push({
        clusterId: objects.length,
        centroid: { x: x + rng.gaussian() * 0.1, y: y + rng.gaussian() * 0.1, z: state.box.center[2] - pose.position[2] },
        extent: { x: state.box.length, y: state.box.width, z: state.box.height },
        yawRad: state.box.yaw - pose.yaw,
        pointCount: Math.max(10, Math.round(4000 / Math.max(range, 1))),
        meanIntensity: 0.3,
        classHint: state.object.objectClass,
      });
    }
    out.push({
      captureTimeUs: t,
      truth,
      records: [
        { topic: 'motion', value: ego(2 * i, t - 5_000) },
        { topic: 'lidar', value: lidarCodec.encode({ ...header('lidar_top', i, t, 'lidar_top'), objects, inputPointCount: 20_000, noiseFraction: 0, reliability: 0.9 }) },
        { topic: 'motion', value: ego(2 * i + 1, t + 45_000) },
      ],
    });
  }
  return out;
}

// A type alias (not an interface) so Object.values() sees string values.
export type FusionTopics = {
  readonly lidar: string;
  readonly camera: string;
  readonly audio: string;
  readonly motion: string;
  readonly output: string;
};

export function uniqueTopics(): FusionTopics {
  return {
    lidar: uniqueName('obs.lidar'), camera: uniqueName('obs.camera'), audio: uniqueName('obs.audio'),
    motion: uniqueName('obs.motion'), output: uniqueName('fused.detections'),
  };
}

/** Publishes sweeps [from, to) of every rig, sweep by sweep (rigs interleaved, as live rigs would be). */
export async function publishSweeps(bus: Bus, topics: FusionTopics, rigs: ReadonlyMap<string, readonly RigSweep[]>, from: number, to: number): Promise<void> {
  const batch: Record<'lidar' | 'motion', OutgoingRecord[]> = { lidar: [], motion: [] };
  for (let i = from; i < to; i++) {
    for (const [rigId, sweeps] of rigs) {
      for (const r of sweeps[i]?.records ?? []) batch[r.topic].push({ key: rigId, value: r.value });
    }
    if (batch.lidar.length + batch.motion.length >= 400 || i === to - 1) {
      // Motion first: each sweep's "before" ego state is in the log ahead of the sweep.
      await bus.publish(topics.motion, batch.motion.splice(0));
      await bus.publish(topics.lidar, batch.lidar.splice(0));
    }
  }
}

export async function publishCalibrations(bus: Bus, store: StateStore, rigIds: readonly string[]): Promise<void> {
  const base = loadFusionConfig({});
  const worker = createFusionWorker(bus, base, store);
  for (const rigId of rigIds) await worker.calibration.publish(lidarCalibration(rigId));
}

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ChildOptions {
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly transactionalId: string;
  readonly instanceId: string;
  readonly topics: FusionTopics;
  readonly groupId: string;
}

/** A fusion worker process (test/fusion-crash-child.ts) and its reported committed-frame count. */
export interface FusionChild {
  readonly process: ChildProcess;
  /** Frames this process has committed so far (as it last reported). */
  published(): number;
  /** Resolves once the process reported at least n committed frames. */
  whenPublished(n: number): Promise<number>;
  readonly exited: Promise<number | null>;
}

export function startChild(options: ChildOptions): FusionChild {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(here, 'fusion-crash-child.ts'), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let published = 0;
  const waiters: { n: number; resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^published (\d+)$/.exec(line);
      if (m !== null) published = Number(m[1]);
    }
    for (const w of waiters.splice(0)) {
      if (published >= w.n) w.resolve(published);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`fusion child ${options.instanceId} exited (${String(code)}) before publishing ${String(w.n)} frames`));
    resolve(code);
  }));
  return {
    process: child,
    published: () => published,
    whenPublished: (n) => (published >= n ? Promise.resolve(published) : new Promise((resolve, reject) => waiters.push({ n, resolve, reject }))),
    exited,
  };
}

/** One output record as a reader sees it. */
export interface OutputFrame {
  readonly key: string | null;
  readonly instance: string | undefined;
  readonly value: FusedDetections;
}

/** Reads `count` records of `topic` with read_committed (failing after `timeoutMs` without them), then checks nothing follows. */
export async function readOutput(bus: Bus, topic: string, count: number, timeoutMs: number): Promise<{ frames: OutputFrame[]; extra: number }> {
  const read = (n: number, ms: number) => firstValueFrom(
    bus.subscribe({ groupId: uniqueName('reader'), topics: [topic], fromBeginning: true, isolation: 'read_committed', highWaterMark: Infinity })
      .pipe(take(n), timeout(ms), toArray()),
  );
  const records: ConsumedRecord[] = await read(count, timeoutMs);
  // Nothing beyond the expected count: a straggler would be a duplicate.
  const more = await read(count + 1, 5_000).catch(() => undefined);
  const frames = records.map((r) => ({ key: r.key, instance: headerText(r.headers, INSTANCE_HEADER), value: fusedCodec.decode(r.value) }));
  return { frames, extra: more === undefined ? 0 : more.length - count };
}

/**
 * Track-id retention across an instance change of one rig: each confirmed track of the last frame before
 * the change is matched to the truth object within 2 m of it; if that object is still within LIDAR range
 * at the first frame after the change, the track `kept` its id when a confirmed track with the same id is
 * in that frame, and is also `onObject` when that track lies within 2 m of the object there.
 */
export function idRetention(before: FusedDetections, after: FusedDetections, truthBefore: readonly TruthInSweep[], truthAfter: readonly TruthInSweep[]): { kept: number; onObject: number; total: number } {
  let kept = 0;
  let onObject = 0;
  let total = 0;
  const near = (t: FusedDetections['tracks'][number], o: TruthInSweep) => Math.hypot(t.position.x - o.x, t.position.y - o.y) <= 2;
  for (const track of before.tracks) {
    if (track.state !== 'confirmed') continue;
    const object = truthBefore.find((o) => near(track, o));
    if (object === undefined) continue;
    const later = truthAfter.find((o) => o.id === object.id);
    if (later === undefined || Math.hypot(later.x, later.y) > LIDAR_RANGE_M - 5) continue;
    total++;
    const same = after.tracks.find((t) => t.trackId === track.trackId && t.state === 'confirmed');
    if (same !== undefined) kept++;
    if (same !== undefined && near(same, later)) onObject++;
  }
  return { kept, onObject, total };
}
