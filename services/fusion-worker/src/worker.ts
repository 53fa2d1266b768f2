import { alignByPivot, slerpQuaternion, type AlignedFrame, type InputRecord, type PivotAlignConfig, type PivotInputConfig, type SensorRecord } from '@sensorfuse/align';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { PoisonRecordError, errorName } from '@sensorfuse/errors';
import {
  audioEventsSchema, cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema,
  type AudioEvents, type CameraDetections, type EgoState, type FusedDetections, type LidarObjects,
} from '@sensorfuse/schemas';
import type { StateStore } from '@sensorfuse/state';
import { nowUs } from '@sensorfuse/time';
import { deadLetterRecord, deadLetterTopic, type Bus, type ConsumedRecord, type RecordPosition } from '@sensorfuse/transport';
import type { Worker, WorkerLogger, WorkerState, WorkerStats } from '@sensorfuse/worker';
import { Subject, asyncScheduler, concatMap, type SchedulerLike, type Subscription } from 'rxjs';
import { CalibrationRegistry, type CalibrationChange } from './calibration-registry.js';
import type { FusionConfig } from './config.js';
import { toFusedDetections, serializeFusionState, deserializeFusionState } from './core/output.js';
import type { FusionOutput, FusionParams, FusionPayload, FusionState } from './core/types.js';
import { createFusionState, update } from './core/update.js';

export const FUSION_SERVICE = 'fusion-worker';

/** A camera whose sensor id no calibration of its rig knows: it cannot be projected, so it is dead-lettered. */
export class UnknownCameraError extends PoisonRecordError {}

export interface FusionWorkerOptions {
  readonly logger?: WorkerLogger;
  /** Processing-time scheduler of the aligner's timeouts (a TestScheduler or VirtualTimeScheduler in tests). */
  readonly scheduler?: SchedulerLike;
  /** Clock of publishTimeUs; default the wall clock. */
  readonly nowUs?: () => number;
  /** Every core output, before it is published (dashboards, tests). */
  readonly onOutput?: (output: FusionOutput) => void;
  readonly registry?: SchemaRegistry;
  /** Put on every output record as header `x-sensorfuse-instance` (which instance produced a frame). */
  readonly instanceId?: string;
}

/** Output header naming the instance that produced the frame (`FusionWorkerOptions.instanceId`). */
export const INSTANCE_HEADER = 'x-sensorfuse-instance';

export interface FusionWorkerStats extends WorkerStats {
  readonly frames: number;
  readonly calibrationChanges: number;
  readonly framesWithoutCalibration: number;
}

export interface FusionWorker extends Worker {
  readonly calibration: CalibrationRegistry;
  stats(): FusionWorkerStats;
}

type Decoded = { kind: 'lidar'; value: LidarObjects } | { kind: 'camera'; value: CameraDetections } | { kind: 'audio'; value: AudioEvents } | { kind: 'motion'; value: EgoState };

function lerp(a: number, b: number, f: number): number {
  return a + (b - a) * f;
}

function interpolateEgo(before: SensorRecord<FusionPayload>, after: SensorRecord<FusionPayload>, f: number): FusionPayload {
  if (before.payload.kind !== 'motion' || after.payload.kind !== 'motion') return before.payload;
  const a = before.payload.value;
  const b = after.payload.value;
  const v = (p: keyof Pick<EgoState, 'position' | 'velocity' | 'angularVelocity'>) => ({ x: lerp(a[p].x, b[p].x, f), y: lerp(a[p].y, b[p].y, f), z: lerp(a[p].z, b[p].z, f) });
  const q = slerpQuaternion([a.attitude.x, a.attitude.y, a.attitude.z, a.attitude.w], [b.attitude.x, b.attitude.y, b.attitude.z, b.attitude.w], f);
  return {
    kind: 'motion',
    value: { ...a, captureTimeUs: Math.round(lerp(a.captureTimeUs, b.captureTimeUs, f)), position: v('position'), velocity: v('velocity'), angularVelocity: v('angularVelocity'), attitude: { x: q[0] ?? 0, y: q[1] ?? 0, z: q[2] ?? 0, w: q[3] ?? 1 } },
  };
}

/** The aligner configuration of one rig: LIDAR pivot, one nearest input per camera, audio overlapping, motion interpolated. */
export function rigAlignConfig(align: FusionConfig['align'], cameraIds: readonly string[]): PivotAlignConfig<FusionPayload> {
  const common = { maxOutOfOrderUs: align.maxOutOfOrderUs, timeoutUs: align.timeoutUs, idleTimeoutUs: align.idleTimeoutUs };
  const inputs: PivotInputConfig<FusionPayload>[] = [
    ...cameraIds.map((id) => ({ ...common, name: `camera:${id}`, select: 'nearest' as const, matchWindowUs: align.cameraWindowUs })),
    { ...common, name: 'audio', select: 'overlapping', matchWindowUs: align.audioWindowUs },
    { ...common, name: 'motion', select: 'interpolate', matchWindowUs: align.motionWindowUs, interpolate: interpolateEgo },
  ];
  return { pivot: { name: 'lidar', maxOutOfOrderUs: align.maxOutOfOrderUs, idleTimeoutUs: align.idleTimeoutUs }, inputs };
}

interface Rig {
  readonly input: Subject<InputRecord<FusionPayload>>;
  readonly subscription: Subscription;
  readonly cameras: ReadonlySet<string>;
  state: FusionState;
  /** Capture time of the last pivot whose frame is committed (or skipped), −∞ before the first. */
  lastPivotUs: number;
  /** Per `topic:partition`: every record of this rig at or below this offset is no longer needed. */
  readonly doneOffsets: Map<string, bigint>;
  /** Version of the rig's checkpoint in the StateStore (compareAndSet fences a zombie instance). */
  checkpointVersion: number;
  /** Another instance wrote the checkpoint: this one stops publishing for the rig. */
  fenced: boolean;
}

/** A consumed record the worker has seen and not yet committed, in delivery (offset) order per partition. */
interface Pending {
  readonly record: ConsumedRecord;
  readonly rigId: string | undefined;
  readonly kind: Decoded['kind'] | undefined;
  /** Last capture time the record covers (audio: end of its window). */
  readonly endUs: number;
  done: boolean;
}

/** The checkpoint of one rig: tracker state, last committed pivot and the input offsets it reflects. */
export interface FusionCheckpoint {
  readonly format: 1;
  readonly lastPivotUs: number | null;
  readonly doneOffsets: Readonly<Record<string, string>>;
  readonly state: string;
}

export function encodeCheckpoint(state: FusionState, lastPivotUs: number, doneOffsets: ReadonlyMap<string, bigint>): Uint8Array {
  const checkpoint: FusionCheckpoint = {
    format: 1,
    lastPivotUs: Number.isFinite(lastPivotUs) ? lastPivotUs : null,
    doneOffsets: Object.fromEntries([...doneOffsets].map(([tp, o]) => [tp, o.toString()])),
    state: Buffer.from(serializeFusionState(state)).toString('base64'),
  };
  return new TextEncoder().encode(JSON.stringify(checkpoint));
}

export function decodeCheckpoint(bytes: Uint8Array): { state: FusionState; lastPivotUs: number; doneOffsets: Map<string, bigint> } {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<FusionCheckpoint>;
  if (parsed.format !== 1 || typeof parsed.state !== 'string' || parsed.doneOffsets === undefined) {
    throw new RangeError(`fusion checkpoint: expected format 1, found ${String(parsed.format)}`);
  }
  return {
    state: deserializeFusionState(Buffer.from(parsed.state, 'base64')),
    lastPivotUs: parsed.lastPivotUs ?? Number.NEGATIVE_INFINITY,
    doneOffsets: new Map(Object.entries(parsed.doneOffsets).map(([tp, o]) => [tp, BigInt(o)])),
  };
}

const tpKey = (r: RecordPosition) => `${r.topic}:${String(r.partition)}`;

/**
 * The fusion worker on any bus: obs.lidar/camera/audio/motion → per-rig alignByPivot → core update →
 * fused.detections. Calibration from the registry in `stateStore` (versioned per rig), tracker state
 * written to `stateStore` after every frame and restored when a rig is first seen. Used by main.ts
 * (Kafka or a MemoryBus from config) and by embedded mode (`createFusionWorker(bus, config, stateStore)`).
 */
export function createFusionWorker(
  bus: Bus,
  config: Pick<FusionConfig, 'topics' | 'groupId' | 'align' | 'fusion'>,
  stateStore: StateStore,
  options: FusionWorkerOptions = {},
): FusionWorker {
  const registry = options.registry ?? new SchemaRegistry();
  const codecs: Record<string, { kind: Decoded['kind']; codec: Codec<LidarObjects | CameraDetections | AudioEvents | EgoState> }> = {
    [config.topics.lidar]: { kind: 'lidar', codec: createCodec<LidarObjects>(registry, lidarObjectsSchema) },
    [config.topics.camera]: { kind: 'camera', codec: createCodec<CameraDetections>(registry, cameraDetectionsSchema) },
    [config.topics.audio]: { kind: 'audio', codec: createCodec<AudioEvents>(registry, audioEventsSchema) },
    [config.topics.motion]: { kind: 'motion', codec: createCodec<EgoState>(registry, egoStateSchema) },
  };
  const outCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);
  const params: FusionParams = config.fusion;
  const clock = options.nowUs ?? nowUs;
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = options.logger;
  const calibration = new CalibrationRegistry(stateStore, {
    onChange: (c: CalibrationChange) => logger?.info({ ...c }, 'calibration version in use changed'),
  });
  const rigs = new Map<string, Rig>();
  let state: WorkerState = 'idle';
  let subscription: Subscription | undefined;
  let chain: Promise<void> = Promise.resolve();
  const counts = { consumed: 0, processed: 0, published: 0, deadLettered: 0, frames: 0, framesWithoutCalibration: 0 };
  const deadLetterReasons: Record<string, number> = {};

  const checkpointKey = (rigId: string) => `fusion:checkpoint:${rigId}`;
  /** Non-pivot records older than this before a committed pivot can no longer be matched to a later sweep. */
  const retainUs = Math.max(config.align.cameraWindowUs, config.align.audioWindowUs, config.align.motionWindowUs) + config.align.maxOutOfOrderUs;
  const pending = new Map<string, Pending[]>();

  const fail = (err: unknown) => {
    if (state === 'failed' || state === 'stopped') return;
    state = 'failed';
    subscription?.unsubscribe();
    logger?.error({ error: errorName(err) }, 'fusion worker failed');
    onFatalHandler?.(err);
  };
  let onFatalHandler: ((err: unknown) => void) | undefined;

  const track = (entry: Pending) => {
    const key = tpKey(entry.record);
    let list = pending.get(key);
    if (list === undefined) {
      list = [];
      pending.set(key, list);
    }
    list.push(entry);
  };

  /**
   * Marks what the committed pivot `pivotUs` of `rigId` makes unnecessary (its LIDAR sweeps up to the
   * pivot, other inputs older than the pivot by more than any match window), advances the rig's
   * done offsets, and returns the last record of every partition's fully-done prefix (to commit).
   */
  const settle = (rigId: string, rig: Rig, pivotUs: number): RecordPosition[] => {
    const positions: RecordPosition[] = [];
    for (const [key, list] of pending) {
      for (const entry of list) {
        if (entry.done || entry.rigId !== rigId) continue;
        if (entry.kind === 'lidar' ? entry.endUs <= pivotUs : entry.endUs < pivotUs - retainUs) entry.done = true;
      }
      for (const entry of list) {
        if (entry.rigId !== rigId) continue;
        if (!entry.done) break;
        rig.doneOffsets.set(key, BigInt(entry.record.offset));
      }
      let last: Pending | undefined;
      while (list[0]?.done === true) {
        last = list.shift();
        counts.processed++;
      }
      if (last !== undefined) positions.push({ topic: last.record.topic, partition: last.record.partition, offset: last.record.offset });
    }
    return positions;
  };

  const emit = (rigId: string, frame: AlignedFrame<FusionPayload>) => {
    const rig = rigs.get(rigId);
    if (rig === undefined || rig.fenced || state === 'failed' || state === 'stopped') return;
    let record: Buffer | undefined;
    try {
      const resolved = calibration.at(rigId, frame.pivotTimeUs);
      const result = update(frame, resolved, rig.state, { params, nowUs: clock() });
      rig.state = result.state;
      counts.frames++;
      options.onOutput?.(result.output);
      record = outCodec.encode(toFusedDetections(result.output));
    } catch (err: unknown) {
      counts.framesWithoutCalibration++;
      logger?.warn({ rigId, captureTimeUs: frame.pivotTimeUs, error: errorName(err) }, 'frame skipped: no calibration');
    }
    rig.lastPivotUs = Math.max(rig.lastPivotUs, frame.pivotTimeUs);
    const positions = settle(rigId, rig, frame.pivotTimeUs);
    const checkpoint = encodeCheckpoint(rig.state, rig.lastPivotUs, rig.doneOffsets);
    chain = chain
      .then(async () => {
        if (state === 'failed' || rig.fenced) return;
        // Output and consumed offsets in one transaction: both visible to read_committed readers, or neither.
        const txn = await bus.transaction();
        try {
          if (record !== undefined) await txn.publish(config.topics.output, [{ key: rigId, value: record, ...(options.instanceId === undefined ? {} : { headers: { [INSTANCE_HEADER]: options.instanceId } }) }]);
          if (positions.length > 0) await txn.sendOffsets(config.groupId, positions);
          await txn.commit();
        } catch (err: unknown) {
          await txn.abort().catch(() => undefined);
          throw err;
        }
        if (record !== undefined) counts.published++;
        const written = await stateStore.compareAndSet(checkpointKey(rigId), rig.checkpointVersion, checkpoint);
        if (written.outcome === 'conflict') {
          rig.fenced = true;
          logger?.error({ rigId, expectedVersion: rig.checkpointVersion, currentVersion: written.currentVersion }, 'checkpoint written by another instance: rig fenced');
          return;
        }
        rig.checkpointVersion = written.version;
      })
      .catch(fail);
  };

  const rigFor = async (rigId: string): Promise<Rig> => {
    const existing = rigs.get(rigId);
    if (existing !== undefined) return existing;
    await calibration.refresh(rigId);
    const saved = await stateStore.getVersioned(checkpointKey(rigId));
    const again = rigs.get(rigId);
    if (again !== undefined) return again;
    const restored = saved === undefined ? undefined : decodeCheckpoint(saved.value);
    if (restored !== undefined) logger?.info({ rigId, lastPivotUs: restored.lastPivotUs, version: saved?.version }, 'rig restored from checkpoint');
    const cameras = calibration.cameraIds(rigId);
    const input = new Subject<InputRecord<FusionPayload>>();
    const rig: Rig = {
      input,
      cameras: new Set(cameras),
      state: restored?.state ?? createFusionState(rigId),
      lastPivotUs: restored?.lastPivotUs ?? Number.NEGATIVE_INFINITY,
      doneOffsets: restored?.doneOffsets ?? new Map<string, bigint>(),
      checkpointVersion: saved?.version ?? 0,
      fenced: false,
      subscription: input.pipe(alignByPivot(rigAlignConfig(config.align, cameras), scheduler)).subscribe({
        next: (frame) => { emit(rigId, frame); },
        error: (err: unknown) => logger?.error({ rigId, error: errorName(err) }, 'aligner failed'),
      }),
    };
    rigs.set(rigId, rig);
    return rig;
  };

  const deadLetter = async (record: ConsumedRecord, error: unknown) => {
    await bus.publish(deadLetterTopic(record.topic), [deadLetterRecord(record, error)]);
    counts.deadLettered++;
    const name = errorName(error);
    deadLetterReasons[name] = (deadLetterReasons[name] ?? 0) + 1;
  };

  const handle = async (record: ConsumedRecord) => {
    counts.consumed++;
    const entry = codecs[record.topic];
    let tracked = false;
    try {
      if (entry === undefined) throw new UnknownCameraError(`record from unexpected topic ${record.topic}`);
      const value = entry.codec.decode(record.value);
      const payload = { kind: entry.kind, value } as FusionPayload;
      const rig = await rigFor(value.rigId);
      let input: string = entry.kind;
      if (payload.kind === 'camera') {
        if (!rig.cameras.has(value.sensorId)) {
          throw new UnknownCameraError(`camera ${value.sensorId} is not in any calibration of rig ${value.rigId}`, { context: { rigId: value.rigId, sensorId: value.sensorId } });
        }
        input = `camera:${value.sensorId}`;
      }
      const durationUs = payload.kind === 'audio' ? payload.value.windowDurationUs : undefined;
      // Already reflected in the rig's checkpoint (redelivered after a restart): not fed again.
      const seen = BigInt(record.offset) <= (rig.doneOffsets.get(tpKey(record)) ?? -1n)
        || (payload.kind === 'lidar' && value.captureTimeUs <= rig.lastPivotUs)
        || rig.fenced;
      track({ record, rigId: value.rigId, kind: entry.kind, endUs: value.captureTimeUs + (durationUs ?? 0), done: seen });
      tracked = true;
      if (!seen) {
        rig.input.next({ input, record: { sensorId: value.sensorId, seq: value.seq, captureTimeUs: value.captureTimeUs, byteLength: record.value.length, ...(durationUs === undefined ? {} : { durationUs }), payload } });
      }
    } catch (err: unknown) {
      if (!tracked) track({ record, rigId: undefined, kind: undefined, endUs: 0, done: true });
      await deadLetter(record, err);
    }
    await chain;
  };

  return {
    name: FUSION_SERVICE,
    calibration,
    get state() {
      return state;
    },
    start(onFatal) {
      if (state !== 'idle') return;
      state = 'running';
      onFatalHandler = onFatal;
      subscription = bus
        .subscribe({ groupId: config.groupId, topics: [config.topics.lidar, config.topics.camera, config.topics.audio, config.topics.motion], fromBeginning: true })
        .pipe(concatMap((r) => handle(r)))
        .subscribe({ error: fail });
    },
    isReady: () => state === 'running',
    async drain() {
      if (state === 'stopped') return;
      if (state !== 'failed') state = 'draining';
      subscription?.unsubscribe();
      for (const rig of rigs.values()) rig.input.complete();
      await chain;
      for (const rig of rigs.values()) rig.subscription.unsubscribe();
      await chain;
      state = 'stopped';
    },
    stats: () => ({
      ...counts,
      deadLetterReasons: { ...deadLetterReasons },
      handedBack: 0,
      commitsRejected: 0,
      cores: rigs.size,
      coresEvicted: 0,
      calibrationChanges: calibration.changes,
    }),
  };
}
