import { alignByPivot, slerpQuaternion, type AlignedFrame, type InputRecord, type PivotAlignConfig, type PivotInputConfig, type SensorRecord } from '@sensorfuse/align';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { PoisonRecordError, SensorfuseError, errorName } from '@sensorfuse/errors';
import {
  audioEventsSchema, cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema, sensorStateSchema,
  type AudioEvents, type CameraDetections, type EgoState, type FusedDetections, type LidarObjects, type SensorState,
} from '@sensorfuse/schemas';
import { registerEarlierSchemaVersions } from '@sensorfuse/schemas/earlier';
import type { StateStore } from '@sensorfuse/state';
import { nowUs } from '@sensorfuse/time';
import { deadLetterRecord, deadLetterTopic, headerText, type Bus, type ConsumedRecord, type RecordPosition, type TopicPartition } from '@sensorfuse/transport';
import type { Worker, WorkerLogger, WorkerState, WorkerStats } from '@sensorfuse/worker';
import { randomUUID } from 'node:crypto';
import { Subject, Subscription, asyncScheduler, concatMap, from, map, type SchedulerLike } from 'rxjs';
import { CalibrationRegistry, type CalibrationChange } from './calibration-registry.js';
import { fusionConfigSchema, type FusionConfig } from './config.js';
import { toFusedDetections, serializeFusionState, deserializeFusionState } from './core/output.js';
import type { FusionOutput, FusionParams, FusionPayload, FusionState } from './core/types.js';
import { createFusionState, update, type ObjectFusion } from './core/update.js';
import { frameFusionFor, strategyByRig, type FrameFusion, type FusionStrategyName, type PreparedFrame } from './strategies/index.js';
import { DEVICE_INPUT, coreFrameOf, deviceAlignInput, deviceStatesOf, type WorkerPayload } from './device-state.js';

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
  /**
   * The bus's transactional id (main.ts: config transactionalId). A checkpoint prepared under it is
   * settled once this worker's first transaction began, so it is resolved without waiting.
   */
  readonly fencingId?: string;
  /**
   * How long a restore waits for another instance's prepared transaction to show up as committed before it
   * takes it as aborted (default 75 000: kafkajs's 60 s transaction timeout plus the broker's abort scan).
   */
  readonly pendingTransactionWaitMs?: number;
  /** Most frames published in one transaction (default 64): frames ready together share a commit. */
  readonly maxFramesPerTransaction?: number;
  /** ONNX model of fusion.strategy "learned" (default models/fusion-attention/fusion-attention.onnx). */
  readonly fusionModelPath?: string;
  /**
   * What the aligner's `align.timeoutUs` / `align.idleTimeoutUs` measure: 'processing' (default, live
   * rigs: give up on a slow input after that much real time) or 'event' (capture time: the frames depend
   * only on the records, so a replay reproduces the live run's output; see @sensorfuse/align).
   */
  readonly alignTime?: 'processing' | 'event';
}

/**
 * Header a replay puts on every record: `<replay session>:<epoch>`, the epoch rising at every loop and
 * seek (@sensorfuse/recorder's REPLAY_EPOCH_HEADER). A rig that sees a newer epoch ends its frames of
 * the old one and starts afresh: new aligner, new tracker (track ids restart, `seq` goes on) and a new
 * checkpoint horizon, so a looped recording gives the same frames again instead of nothing.
 */
export const REPLAY_EPOCH_HEADER = 'x-sensorfuse-replay-epoch';
/** Records of a newer epoch held while other inputs still deliver the old one, before the switch is forced. */
const MAX_NEXT_EPOCH_RECORDS = 10_000;

/** `<session>:<epoch>` → parts; '' (a record without the header) is the unmarked epoch. */
function parseEpoch(key: string): { session: string; n: number } {
  const i = key.lastIndexOf(':');
  return i < 0 ? { session: key, n: 0 } : { session: key.slice(0, i), n: Number(key.slice(i + 1)) };
}

/** Whether `next` is an older epoch of the same replay session than `current` (its records are stale). */
function olderEpoch(next: string, current: string): boolean {
  if (next === '' || current === '') return false;
  const a = parseEpoch(next);
  const b = parseEpoch(current);
  return a.session === b.session && a.n < b.n;
}

/** Output header naming the instance that produced the frame (`FusionWorkerOptions.instanceId`). */
export const INSTANCE_HEADER = 'x-sensorfuse-instance';

export interface FusionWorkerStats extends WorkerStats {
  readonly frames: number;
  readonly calibrationChanges: number;
  readonly framesWithoutCalibration: number;
  /** Rig resets on a newer replay epoch (loop or seek). */
  readonly epochResets: number;
  /** Records of an older replay epoch that arrived after the rig moved on (not fused, committed). */
  readonly staleEpochRecords: number;
}

export interface FusionWorker extends Worker {
  readonly calibration: CalibrationRegistry;
  stats(): FusionWorkerStats;
}

type Decoded = { kind: 'lidar'; value: LidarObjects } | { kind: 'camera'; value: CameraDetections } | { kind: 'audio'; value: AudioEvents } | { kind: 'motion'; value: EgoState } | { kind: 'sensor'; value: SensorState };

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

/** Frames a rig's aligner keeps open at once (about 7 minutes of 10 Hz sweeps). */
const MAX_OPEN_FRAMES = 4096;

/** The aligner configuration of one rig: LIDAR pivot, one nearest input per camera, audio overlapping, motion interpolated. */
export function rigAlignConfig(align: FusionConfig['align'], cameraIds: readonly string[]): PivotAlignConfig<FusionPayload> {
  const common = { maxOutOfOrderUs: align.maxOutOfOrderUs, timeoutUs: align.timeoutUs, idleTimeoutUs: align.idleTimeoutUs };
  const inputs: PivotInputConfig<FusionPayload>[] = [
    ...cameraIds.map((id) => ({ ...common, name: `camera:${id}`, select: 'nearest' as const, matchWindowUs: align.cameraWindowUs })),
    { ...common, name: 'audio', select: 'overlapping', matchWindowUs: align.audioWindowUs },
    { ...common, name: 'motion', select: 'interpolate', matchWindowUs: align.motionWindowUs, interpolate: interpolateEgo },
  ];
  // A restart or a rebalance can deliver seconds of sweeps before their motion (each topic in its own Kafka
  // batches); the aligner's default of 64 open frames would close the oldest ones without it.
  return { pivot: { name: 'lidar', maxOutOfOrderUs: align.maxOutOfOrderUs, idleTimeoutUs: align.idleTimeoutUs }, inputs, maxOpenCollectors: MAX_OPEN_FRAMES };
}

/** rigAlignConfig plus the optional obs.sensor input: device states interpolated per sensor at the pivot. */
function workerAlignConfig(align: FusionConfig['align'], cameraIds: readonly string[]): PivotAlignConfig<WorkerPayload> {
  const base = rigAlignConfig(align, cameraIds);
  // The core inputs only ever receive their own payloads (motion's interpolate sees motion records), so widening is safe.
  return { ...base, inputs: [...(base.inputs as unknown as readonly PivotInputConfig<WorkerPayload>[]), deviceAlignInput(align)] };
}

/** The FusedDetections record of a core output plus the frame's device states (and 'sensor' present when any). */
function withDeviceStates(record: FusedDetections, frame: AlignedFrame<WorkerPayload>): FusedDetections {
  const deviceState = deviceStatesOf(frame.members[DEVICE_INPUT]);
  if (deviceState.length === 0) return { ...record, deviceState };
  return { ...record, deviceState, presentModalities: [...record.presentModalities, 'sensor'] };
}

interface Rig {
  input: Subject<InputRecord<WorkerPayload>>;
  subscription: Subscription;
  readonly cameras: ReadonlySet<string>;
  /** Partition number of the rig's records (the same in every input topic: they are co-partitioned). */
  readonly partition: number;
  state: FusionState;
  /** Capture time of the last pivot whose frame is committed (or skipped), −∞ before the first. */
  lastPivotUs: number;
  /** Per `topic:partition`: every record of this rig at or below this offset is no longer needed. */
  readonly doneOffsets: Map<string, bigint>;
  /** Version of the rig's checkpoint in the StateStore (compareAndSet fences a zombie instance). */
  checkpointVersion: number;
  /** Transactions committed for this rig so far (the marker in its `<groupId>.frames.<rigId>` group). */
  generation: number;
  /** The checkpoint as of the last committed transaction (the `prev` of the next prepared one). */
  committed: CheckpointBody;
  /** Revoked, or its checkpoint was written by another instance: nothing more is published for it. */
  dropped: boolean;
  /** Capture time of the newest LIDAR sweep fed to the aligner (−∞ before the first). */
  pivotFedUs: number;
  /** Non-pivot records too far ahead of the newest sweep, in delivery order: fed when sweeps catch up. */
  readonly held: InputRecord<WorkerPayload>[];
  /** Replay epoch of the records being aligned (REPLAY_EPOCH_HEADER; '' when unmarked). */
  epoch: string;
  /** Topics that delivered records of the current epoch. */
  readonly epochTopics: Set<string>;
  /** Topics that ever delivered records of this rig, in any epoch. */
  readonly knownTopics: Set<string>;
  /** A newer epoch's records, held until every topic of the current epoch has moved on to it. */
  next: { readonly epoch: string; readonly crossed: Set<string>; readonly items: InputRecord<WorkerPayload>[] } | undefined;
}

/** A consumed record the worker has seen and not yet committed, in delivery (offset) order per partition. */
interface Pending {
  readonly record: ConsumedRecord;
  readonly rigId: string | undefined;
  readonly kind: Decoded['kind'] | undefined;
  /** Last capture time the record covers (audio: end of its window). */
  readonly endUs: number;
  done: boolean;
  /** Replay epoch the record belongs to ('' when unmarked). */
  readonly epoch?: string;
}

/** What a checkpoint restores: tracker state (base64 of serializeFusionState), last committed pivot, input offsets. */
export interface CheckpointBody {
  readonly lastPivotUs: number | null;
  readonly doneOffsets: Readonly<Record<string, string>>;
  readonly state: string;
  /** Replay epoch the state belongs to (absent: unmarked records). */
  readonly epoch?: string;
}

/**
 * The checkpoint of one rig. It is written (compareAndSet) *before* the transaction that publishes its
 * frames, as generation n with the previous committed body as `prev`; the transaction also commits offset
 * n in the rig's marker group. A restore reads the marker to learn whether generation n committed (use
 * the body) or not (use `prev`), so a crash between the two steps loses and repeats nothing.
 */
export interface FusionCheckpoint extends CheckpointBody {
  readonly format: 2;
  readonly generation: number;
  /** Fencing identity (transactional id) of the instance that wrote it. */
  readonly owner: string;
  readonly prev?: CheckpointBody;
}

export interface DecodedCheckpoint {
  readonly state: FusionState;
  readonly lastPivotUs: number;
  readonly doneOffsets: Map<string, bigint>;
  readonly generation: number;
  readonly owner: string;
  readonly body: CheckpointBody;
  readonly prev: CheckpointBody | undefined;
}

/** Raised when a rig's checkpoint and its committed marker disagree by more than one transaction. */
export class CheckpointMismatchError extends SensorfuseError {
  override readonly retriable = false;
}

export function checkpointBody(state: FusionState, lastPivotUs: number, doneOffsets: ReadonlyMap<string, bigint>, epoch = ''): CheckpointBody {
  return {
    lastPivotUs: Number.isFinite(lastPivotUs) ? lastPivotUs : null,
    doneOffsets: Object.fromEntries([...doneOffsets].map(([tp, o]) => [tp, o.toString()])),
    state: Buffer.from(serializeFusionState(state)).toString('base64'),
    ...(epoch === '' ? {} : { epoch }),
  };
}

export function encodeCheckpoint(body: CheckpointBody, generation: number, owner: string, prev?: CheckpointBody): Uint8Array {
  const checkpoint: FusionCheckpoint = { format: 2, generation, owner, ...body, ...(prev === undefined ? {} : { prev }) };
  return new TextEncoder().encode(JSON.stringify(checkpoint));
}

export function restoreBody(body: CheckpointBody): { state: FusionState; lastPivotUs: number; doneOffsets: Map<string, bigint>; epoch: string } {
  return {
    state: deserializeFusionState(Buffer.from(body.state, 'base64')),
    lastPivotUs: body.lastPivotUs ?? Number.NEGATIVE_INFINITY,
    doneOffsets: new Map(Object.entries(body.doneOffsets).map(([tp, o]) => [tp, BigInt(o)])),
    epoch: body.epoch ?? '',
  };
}

export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Omit<FusionCheckpoint, 'format'>> & { format?: number };
  if ((parsed.format !== 1 && parsed.format !== 2) || typeof parsed.state !== 'string' || parsed.doneOffsets === undefined) {
    throw new RangeError(`fusion checkpoint: expected format 1 or 2, found ${String(parsed.format)}`);
  }
  const body: CheckpointBody = { lastPivotUs: parsed.lastPivotUs ?? null, doneOffsets: parsed.doneOffsets, state: parsed.state, ...(parsed.epoch === undefined ? {} : { epoch: parsed.epoch }) };
  return { ...restoreBody(body), generation: parsed.generation ?? 0, owner: parsed.owner ?? '', body, prev: parsed.prev };
}

const tpKey = (r: TopicPartition) => `${r.topic}:${String(r.partition)}`;
/** Frames waiting for a transaction beyond which consumption waits for the committer. */
const MAX_QUEUED = 256;

/** A frame ready to be published, with what its commit makes unnecessary and the rig's checkpoint after it. */
interface Ready {
  readonly rigId: string;
  readonly rig: Rig;
  readonly record: Buffer | undefined;
  readonly positions: readonly RecordPosition[];
  readonly state: FusionState;
  readonly lastPivotUs: number;
  readonly doneOffsets: ReadonlyMap<string, bigint>;
  readonly epoch: string;
}

/**
 * The fusion worker on any bus: obs.lidar/camera/audio/motion → per-rig alignByPivot → core update →
 * fused.detections. Calibration from the registry in `stateStore` (versioned per rig), tracker state
 * checkpointed to `stateStore` with every transaction and restored when a rig is first seen. Used by main.ts
 * (Kafka or a MemoryBus from config) and by embedded mode (`createFusionWorker(bus, config, stateStore)`).
 */
export function createFusionWorker(
  bus: Bus,
  config: Pick<FusionConfig, 'groupId' | 'align' | 'fusion'> & { readonly topics: Omit<FusionConfig['topics'], 'sensor'> & { readonly sensor?: string } } & Partial<Pick<FusionConfig, 'consumer'>>,
  stateStore: StateStore,
  options: FusionWorkerOptions = {},
): FusionWorker {
  const consumer = config.consumer ?? fusionConfigSchema.shape.consumer.parse({});
  const registry = options.registry ?? new SchemaRegistry();
  // Producers upgrade one at a time: records written with an earlier schema version resolve instead of going to the DLQ.
  registerEarlierSchemaVersions(registry);
  // obs.sensor is optional: absent or '' in the config → not consumed (fused frames carry deviceState []).
  const sensorTopic = config.topics.sensor ?? '';
  const codecs: Record<string, { kind: Decoded['kind']; codec: Codec<LidarObjects | CameraDetections | AudioEvents | EgoState | SensorState> }> = {
    ...(sensorTopic === '' ? {} : { [sensorTopic]: { kind: 'sensor' as const, codec: createCodec<SensorState>(registry, sensorStateSchema) } }),
    [config.topics.lidar]: { kind: 'lidar', codec: createCodec<LidarObjects>(registry, lidarObjectsSchema) },
    [config.topics.camera]: { kind: 'camera', codec: createCodec<CameraDetections>(registry, cameraDetectionsSchema) },
    [config.topics.audio]: { kind: 'audio', codec: createCodec<AudioEvents>(registry, audioEventsSchema) },
    [config.topics.motion]: { kind: 'motion', codec: createCodec<EgoState>(registry, egoStateSchema) },
  };
  const outCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);
  const params: FusionParams = config.fusion;
  // One runtime per strategy in use (fusion.strategy, fusion.strategyByRig); early is refused here, at creation.
  const rigStrategy = strategyByRig(config.fusion.strategyByRig);
  const modelOption = options.fusionModelPath === undefined ? {} : { modelPath: options.fusionModelPath };
  const defaultFusion = frameFusionFor(config.fusion.strategy, modelOption);
  const fusions = new Map<FusionStrategyName, FrameFusion>([[config.fusion.strategy, defaultFusion]]);
  for (const s of rigStrategy.values()) if (!fusions.has(s)) fusions.set(s, frameFusionFor(s, modelOption));
  const fusionOf = (rigId: string): FrameFusion => fusions.get(rigStrategy.get(rigId) ?? config.fusion.strategy) ?? defaultFusion;
  /** Per rig, its frames waiting for or in an asynchronous strategy step (learned), in order. */
  const fusing = new Map<Rig, Promise<void>>();
  let framesFusing = 0;
  const clock = options.nowUs ?? nowUs;
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = options.logger;
  const fencingId = options.fencingId ?? `unfenced-${randomUUID()}`;
  const pendingWaitMs = options.pendingTransactionWaitMs ?? 75_000;
  const maxBatch = options.maxFramesPerTransaction ?? 64;
  const outputHeaders = options.instanceId === undefined ? undefined : { [INSTANCE_HEADER]: options.instanceId };
  const calibration = new CalibrationRegistry(stateStore, {
    onChange: (c: CalibrationChange) => logger?.info({ ...c }, 'calibration version in use changed'),
  });
  const rigs = new Map<string, Rig>();
  let state: WorkerState = 'idle';
  let subscription: Subscription | undefined;
  const counts = { consumed: 0, processed: 0, published: 0, deadLettered: 0, frames: 0, framesWithoutCalibration: 0, epochResets: 0, staleEpochRecords: 0 };
  const deadLetterReasons: Record<string, number> = {};

  const checkpointKey = (rigId: string) => `fusion:checkpoint:${rigId}`;
  const markerGroup = (rigId: string) => `${config.groupId}.frames.${rigId}`;
  /** Non-pivot records older than this before a committed pivot can no longer be matched to a later sweep. */
  const retainUs = Math.max(config.align.cameraWindowUs, config.align.audioWindowUs, config.align.motionWindowUs) + config.align.maxOutOfOrderUs;
  const sensorRetainUs = config.align.sensorWindowUs + config.align.maxOutOfOrderUs;
  const pending = new Map<string, Pending[]>();
  /** Highest offset tracked per partition: a rebalance redelivers from the committed offset, those are skipped. */
  const lastTracked = new Map<string, bigint>();
  /** Partitions this instance owns (undefined until the bus reports an assignment: then all it delivers). */
  let assignment: Set<string> | undefined;
  /** Bumped each time a partition is (re)assigned: records delivered under an earlier ownership are stale. */
  const partitionEpoch = new Map<string, number>();
  const queue: Ready[] = [];
  let committer: Promise<void> | undefined;

  const fail = (err: unknown) => {
    if (state === 'failed' || state === 'stopped') return;
    state = 'failed';
    subscription?.unsubscribe();
    logger?.error({ error: errorName(err) }, 'fusion worker failed');
    onFatalHandler?.(err);
  };
  let onFatalHandler: ((err: unknown) => void) | undefined;

  const owned = (r: TopicPartition) => assignment === undefined || assignment.has(tpKey(r));

  const dropRig = (rigId: string, rig: Rig, reason: string) => {
    if (rig.dropped) return;
    rig.dropped = true;
    rig.subscription.unsubscribe();
    if (rigs.get(rigId) === rig) rigs.delete(rigId);
    logger?.warn({ rigId, partition: rig.partition }, `rig dropped: ${reason}`);
  };

  const onAssignment = (partitions: readonly TopicPartition[]) => {
    const next = new Set(partitions.map(tpKey));
    for (const key of next) if (!(assignment?.has(key) ?? false)) partitionEpoch.set(key, (partitionEpoch.get(key) ?? 0) + 1);
    const revoked = assignment === undefined ? [] : [...assignment].filter((key) => !next.has(key));
    assignment = next;
    if (revoked.length === 0) return;
    // The new owner restores these rigs from their checkpoints and gets their uncommitted records again.
    const numbers = new Set<number>();
    for (const key of revoked) {
      pending.delete(key);
      lastTracked.delete(key);
      numbers.add(Number(key.slice(key.lastIndexOf(':') + 1)));
    }
    for (const [rigId, rig] of [...rigs]) if (numbers.has(rig.partition)) dropRig(rigId, rig, 'partition revoked');
  };

  const track = (entry: Pending) => {
    const key = tpKey(entry.record);
    let list = pending.get(key);
    if (list === undefined) {
      list = [];
      pending.set(key, list);
    }
    list.push(entry);
    lastTracked.set(key, BigInt(entry.record.offset));
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
        if (entry.kind === 'lidar' ? entry.endUs <= pivotUs : entry.endUs < pivotUs - (entry.kind === 'sensor' ? sensorRetainUs : retainUs)) entry.done = true;
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

  /**
   * Publishes what is queued, up to maxFramesPerTransaction frames per transaction: first each rig's checkpoint is
   * prepared (compareAndSet, generation + 1, previous body kept), then the frames, the consumed offsets they
   * make unnecessary and each rig's generation marker go in one transaction.
   */
  const commitQueued = async () => {
    while (queue.length > 0 && state !== 'failed') {
      const batch = queue.splice(0, maxBatch).filter((r) => !r.rig.dropped);
      const lastOf = new Map<Rig, Ready>();
      for (const r of batch) lastOf.set(r.rig, r);
      const prepared = await Promise.all([...lastOf].map(async ([rig, r]) => {
        const generation = rig.generation + 1;
        const body = checkpointBody(r.state, r.lastPivotUs, r.doneOffsets, r.epoch);
        const written = await stateStore.compareAndSet(checkpointKey(r.rigId), rig.checkpointVersion, encodeCheckpoint(body, generation, fencingId, rig.committed));
        if (written.outcome === 'conflict') {
          logger?.error({ rigId: r.rigId, expectedVersion: rig.checkpointVersion, currentVersion: written.currentVersion }, 'checkpoint written by another instance');
          dropRig(r.rigId, rig, 'checkpoint written by another instance');
          return undefined;
        }
        rig.checkpointVersion = written.version;
        return { rig, rigId: r.rigId, body, generation };
      }));
      // A prepared rig's frames are committed even if it was revoked meanwhile: its new owner waits for the marker.
      const ready = new Set(prepared.flatMap((p) => (p === undefined ? [] : [p.rig])));
      const live = batch.filter((r) => ready.has(r.rig));
      const lost = new Set(batch.filter((r) => !ready.has(r.rig)).map((r) => r.rig.partition));
      const records = live.flatMap((r) => (r.record === undefined ? [] : [{ key: r.rigId, value: r.record, ...(outputHeaders === undefined ? {} : { headers: outputHeaders }) }]));
      // Offsets only of partitions still owned and of no dropped rig (those records are the new owner's).
      const positions = live.flatMap((r) => r.positions).filter((p) => owned(p) && !lost.has(p.partition));
      const markers = prepared.filter((p) => p !== undefined);
      if (records.length === 0 && positions.length === 0 && markers.length === 0) continue;
      const txn = await bus.transaction();
      try {
        if (records.length > 0) await txn.publish(config.topics.output, records);
        if (positions.length > 0) await txn.sendOffsets(config.groupId, positions);
        for (const m of markers) {
          await txn.sendOffsets(markerGroup(m.rigId), [{ topic: config.topics.output, partition: 0, offset: String(m.generation - 1) }]);
        }
        await txn.commit();
      } catch (err: unknown) {
        await txn.abort().catch(() => undefined);
        throw err;
      }
      counts.published += records.length;
      for (const m of markers) {
        m.rig.generation = m.generation;
        m.rig.committed = m.body;
      }
    }
  };

  const startCommitter = () => {
    if (committer !== undefined || state === 'failed') return;
    committer = commitQueued()
      .catch(fail)
      .finally(() => {
        committer = undefined;
        if (queue.length > 0) startCommitter();
      });
  };

  /** Resolves when nothing is queued or being committed. */
  const committed = async () => {
    while (committer !== undefined) await committer;
  };

  /**
   * A frame of an asynchronous strategy (learned): its inference runs off the event loop, chained per rig
   * so the rig's frames are stepped, checkpointed and committed in order exactly as synchronous ones; the
   * frame's records stay uncommitted until then. A frame whose rig was dropped or whose replay epoch ended
   * meanwhile is not published (its records belong to the new owner, or were settled by the epoch switch).
   */
  const emit = (rigId: string, rig: Rig, frame: AlignedFrame<WorkerPayload>) => {
    const fusion = fusionOf(rigId);
    if (fusion.prepare === undefined) {
      emitNow(rigId, rig, frame, fusion.fuse);
      return;
    }
    if (rig.dropped || state === 'failed' || state === 'stopped') return;
    const prepare = fusion.prepare;
    const epochAtEmit = rig.epoch;
    framesFusing++;
    // A function, not an inline test: the state changes across the await (TypeScript would narrow it).
    const gone = () => rig.dropped || state === 'failed' || state === 'stopped' || rig.epoch !== epochAtEmit;
    const step = async () => {
      for (;;) {
        if (gone()) return;
        let resolved;
        try {
          resolved = calibration.at(rigId, frame.pivotTimeUs);
        } catch {
          emitNow(rigId, rig, frame, fusion.fuse); // counted and skipped there, as for every strategy
          return;
        }
        const from = rig.state;
        const prepared = await prepare(coreFrameOf(frame), resolved, from, { params, nowUs: clock() });
        if (rig.state !== from) continue; // reset meanwhile: prepare again from the state the frame will be stepped from
        if (gone()) return;
        emitNow(rigId, rig, frame, prepared.fuse, prepared);
        return;
      }
    };
    const chained = (fusing.get(rig) ?? Promise.resolve()).then(step).catch(fail).finally(() => { framesFusing--; });
    fusing.set(rig, chained);
    void chained.then(() => { if (fusing.get(rig) === chained) fusing.delete(rig); });
  };

  const emitNow = (rigId: string, rig: Rig, frame: AlignedFrame<WorkerPayload>, fuse: ObjectFusion, prepared?: PreparedFrame) => {
    if (rig.dropped || state === 'failed' || state === 'stopped') return;
    let record: Buffer | undefined;
    try {
      const resolved = calibration.at(rigId, frame.pivotTimeUs);
      const result = update(coreFrameOf(frame), resolved, rig.state, { params, nowUs: clock(), fuse });
      rig.state = result.state;
      counts.frames++;
      options.onOutput?.(result.output);
      const fused = withDeviceStates(toFusedDetections(result.output), frame);
      record = outCodec.encode(prepared === undefined ? fused : prepared.decorate(result.output, fused));
    } catch (err: unknown) {
      counts.framesWithoutCalibration++;
      logger?.warn({ rigId, captureTimeUs: frame.pivotTimeUs, error: errorName(err) }, 'frame skipped: no calibration');
    }
    rig.lastPivotUs = Math.max(rig.lastPivotUs, frame.pivotTimeUs);
    const positions = settle(rigId, rig, frame.pivotTimeUs);
    queue.push({ rigId, rig, record, positions, state: rig.state, lastPivotUs: rig.lastPivotUs, doneOffsets: new Map(rig.doneOffsets), epoch: rig.epoch });
    startCommitter();
  };

  /** The generation of `rigId` whose transaction committed last (its marker), 0 before the first. */
  const committedGeneration = async (rigId: string): Promise<number> => {
    const offsets = await bus.admin.committedOffsets(markerGroup(rigId), config.topics.output);
    return Number(offsets.get(0) ?? '0');
  };

  /**
   * The rig's checkpoint, resolved against its marker: a checkpoint prepared under this instance's fencing
   * id is settled (the bus began a transaction first, which aborts or completes its predecessor's), so
   * the marker decides at once; one prepared by another instance may still be committing, so the marker
   * is polled until it shows the generation or `pendingTransactionWaitMs` passed. Then the checkpoint is
   * claimed (rewritten under this instance's id), so a stale owner's next prepare conflicts.
   */
  const restore = async (rigId: string): Promise<{ body: CheckpointBody; generation: number; version: number } | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const saved = await stateStore.getVersioned(checkpointKey(rigId));
      if (saved === undefined) return undefined;
      const c = decodeCheckpoint(saved.value);
      let body = c.body;
      let generation = c.generation;
      let stale = false;
      if (c.prev !== undefined) {
        const since = Date.now();
        for (;;) {
          const marker = await committedGeneration(rigId);
          if (marker === c.generation) break;
          // The previous owner committed a newer generation since the checkpoint was read (a rebalance hands the
          // rig over while its last transactions finish): read the checkpoint again.
          if (marker > c.generation) {
            stale = true;
            break;
          }
          if (marker === c.generation - 1 && (c.owner === fencingId || Date.now() - since > pendingWaitMs)) {
            logger?.warn({ rigId, generation: c.generation, owner: c.owner }, 'prepared checkpoint was not committed: restoring the one before');
            body = c.prev;
            generation = marker;
            break;
          }
          if (marker !== c.generation - 1) {
            throw new CheckpointMismatchError(`fusion checkpoint of rig ${rigId}: expected committed generation ${String(c.generation)} or ${String(c.generation - 1)}, found ${String(marker)}`, {
              context: { rigId, generation: c.generation, marker },
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      if (!stale) {
        const written = await stateStore.compareAndSet(checkpointKey(rigId), saved.version, encodeCheckpoint(body, generation, fencingId));
        if (written.outcome === 'written') return { body, generation, version: written.version };
      }
      if (attempt >= 5) {
        throw new CheckpointMismatchError(`fusion checkpoint of rig ${rigId} keeps changing while restoring it`, { context: { rigId } });
      }
    }
  };

  const rigFor = async (rigId: string, partition: number): Promise<Rig> => {
    const existing = rigs.get(rigId);
    if (existing !== undefined) return existing;
    await calibration.refresh(rigId);
    const restored = await restore(rigId);
    const again = rigs.get(rigId);
    if (again !== undefined) return again;
    if (restored !== undefined) logger?.info({ rigId, lastPivotUs: restored.body.lastPivotUs, generation: restored.generation }, 'rig restored from checkpoint');
    const restoredState = restored === undefined ? undefined : restoreBody(restored.body);
    const cameras = calibration.cameraIds(rigId);
    const initial = restoredState?.state ?? createFusionState(rigId);
    const rig: Rig = {
      input: new Subject<InputRecord<WorkerPayload>>(),
      subscription: Subscription.EMPTY,
      cameras: new Set(cameras),
      partition,
      state: initial,
      lastPivotUs: restoredState?.lastPivotUs ?? Number.NEGATIVE_INFINITY,
      doneOffsets: restoredState?.doneOffsets ?? new Map<string, bigint>(),
      checkpointVersion: restored?.version ?? 0,
      generation: restored?.generation ?? 0,
      committed: restored?.body ?? checkpointBody(initial, Number.NEGATIVE_INFINITY, new Map()),
      dropped: false,
      pivotFedUs: Number.NEGATIVE_INFINITY,
      held: [],
      epoch: restoredState?.epoch ?? '',
      epochTopics: new Set(),
      knownTopics: new Set(),
      next: undefined,
    };
    openAligner(rigId, rig);
    rigs.set(rigId, rig);
    return rig;
  };

  const alignTime = options.alignTime ?? config.align.time;
  const openAligner = (rigId: string, rig: Rig) => {
    rig.input = new Subject<InputRecord<WorkerPayload>>();
    rig.subscription = rig.input.pipe(alignByPivot({ ...workerAlignConfig(config.align, [...rig.cameras]), time: alignTime }, scheduler)).subscribe({
      next: (frame) => { emit(rigId, rig, frame); },
      error: (err: unknown) => logger?.error({ rigId, error: errorName(err) }, 'aligner failed'),
    });
  };

  /**
   * A replay looped or seeked (newer REPLAY_EPOCH_HEADER): the old epoch's open frames are closed and
   * published as they are (end of stream), its records no longer hold commits back, and the rig starts
   * afresh (aligner, tracker with track ids from 1 again, checkpoint horizon); `seq` goes on. Then the
   * newer epoch's records held so far are fed, in arrival order. Frames of the old epoch still in an
   * asynchronous strategy's inference (learned) are published first: records are handled one at a time,
   * so nothing else of the rig moves while they finish.
   */
  /**
   * Whether the old epoch is over on every topic that may still deliver it: the topics that delivered it,
   * those that delivered this rig in any epoch, and always the pivot (LIDAR). Kafka delivers each topic in
   * its own batches, so after a backlog one topic can reach the next loop before another has delivered any
   * of the current one; switching then would discard the slower topics' whole loop as stale.
   */
  const hasMovedOn = (rig: Rig): boolean => {
    const crossed = rig.next?.crossed;
    if (crossed === undefined) return false;
    if (!crossed.has(config.topics.lidar)) return false;
    for (const t of rig.epochTopics) if (!crossed.has(t)) return false;
    for (const t of rig.knownTopics) if (!crossed.has(t)) return false;
    return true;
  };

  const switchEpoch = async (rigId: string, rig: Rig) => {
    const next = rig.next;
    if (next === undefined) return;
    const old = rig.epoch;
    rig.input.complete();
    rig.subscription.unsubscribe();
    await fusing.get(rig);
    for (const list of pending.values()) {
      for (const entry of list) if (entry.rigId === rigId && (entry.epoch ?? '') === old) entry.done = true;
    }
    logger?.info({ rigId, fromEpoch: old, toEpoch: next.epoch, lastPivotUs: rig.lastPivotUs }, 'replay epoch changed: rig reset');
    counts.epochResets++;
    rig.state = { ...createFusionState(rigId), nextSeq: rig.state.nextSeq };
    rig.lastPivotUs = Number.NEGATIVE_INFINITY;
    rig.pivotFedUs = Number.NEGATIVE_INFINITY;
    rig.held.length = 0;
    rig.epoch = next.epoch;
    rig.epochTopics.clear();
    for (const t of next.crossed) rig.epochTopics.add(t);
    rig.next = undefined;
    openAligner(rigId, rig);
    for (const item of next.items) feed(rig, item);
  };

  const deadLetter = async (record: ConsumedRecord, error: unknown) => {
    await bus.publish(deadLetterTopic(record.topic), [deadLetterRecord(record, error)]);
    counts.deadLettered++;
    const name = errorName(error);
    deadLetterReasons[name] = (deadLetterReasons[name] ?? 0) + 1;
  };

  /**
   * How far ahead of the newest fed sweep a non-pivot record may be fed: the allowed out-of-orderness. Fed
   * further ahead, it would move its input's watermark past the sweep's window and the aligner would
   * prune the samples that bracket the sweep before the sweep arrives.
   */
  const aheadUs = config.align.maxOutOfOrderUs;
  /**
   * Device sensors report at a few hertz: the sample after a sweep that brackets it for interpolation can be
   * up to the device window ahead of that sweep, so they may be fed that far ahead (their buffer retains
   * window + out-of-orderness, so nothing a sweep needs is pruned).
   */
  const deviceAheadUs = Math.max(aheadUs, config.align.sensorWindowUs);
  const aheadOf = (input: string) => (input === DEVICE_INPUT ? deviceAheadUs : aheadUs);
  /**
   * Feeds the aligner in event time. Kafka delivers each input partition in its own batches, so after a
   * backlog (a restart, a rebalance) seconds of motion or camera records can arrive before the sweep they
   * belong to; fed first, they would push the aligner's watermarks and bounded buffers past that sweep.
   * Records further ahead of the newest fed sweep than the allowed out-of-orderness are held, and released
   * (in capture order) just before the sweep that catches up with them.
   */
  const feed = (rig: Rig, item: InputRecord<WorkerPayload>) => {
    if (item.input !== 'lidar') {
      if (item.record.captureTimeUs > rig.pivotFedUs + aheadOf(item.input)) rig.held.push(item);
      else rig.input.next(item);
      return;
    }
    const pivotUs = item.record.captureTimeUs;
    if (rig.held.length > 0) {
      const due = rig.held.filter((h) => h.record.captureTimeUs <= pivotUs + aheadOf(h.input));
      if (due.length > 0) {
        const keep = rig.held.filter((h) => h.record.captureTimeUs > pivotUs + aheadOf(h.input));
        rig.held.length = 0;
        rig.held.push(...keep);
        due.sort((a, b) => a.record.captureTimeUs - b.record.captureTimeUs);
        for (const h of due) rig.input.next(h);
      }
    }
    rig.pivotFedUs = Math.max(rig.pivotFedUs, pivotUs);
    rig.input.next(item);
  };

  /** Delivered under an ownership that has since ended (revoked, or revoked and assigned again). */
  const stale = (record: ConsumedRecord, epoch: number) => !owned(record) || (assignment !== undefined && partitionEpoch.get(tpKey(record)) !== epoch);

  const handle = async (record: ConsumedRecord, epoch: number) => {
    if (stale(record, epoch)) return;
    // A rebalance redelivers from the committed offset what this instance already tracks.
    if (BigInt(record.offset) <= (lastTracked.get(tpKey(record)) ?? -1n)) return;
    counts.consumed++;
    const entry = codecs[record.topic];
    let tracked = false;
    try {
      if (entry === undefined) throw new UnknownCameraError(`record from unexpected topic ${record.topic}`);
      const value = entry.codec.decode(record.value);
      const payload = { kind: entry.kind, value } as WorkerPayload;
      const rig = await rigFor(value.rigId, record.partition);
      if (stale(record, epoch) || rig.dropped) return;
      let input: string = entry.kind;
      if (payload.kind === 'camera') {
        if (!rig.cameras.has(value.sensorId)) {
          throw new UnknownCameraError(`camera ${value.sensorId} is not in any calibration of rig ${value.rigId}`, { context: { rigId: value.rigId, sensorId: value.sensorId } });
        }
        input = `camera:${value.sensorId}`;
      }
      const durationUs = payload.kind === 'audio' ? payload.value.windowDurationUs : undefined;
      const replayEpoch = headerText(record.headers, REPLAY_EPOCH_HEADER) ?? '';
      const item = { input, record: { sensorId: value.sensorId, seq: value.seq, captureTimeUs: value.captureTimeUs, byteLength: record.value.length, ...(durationUs === undefined ? {} : { durationUs }), payload } };
      const redelivered = BigInt(record.offset) <= (rig.doneOffsets.get(tpKey(record)) ?? -1n);
      const endUs = value.captureTimeUs + (durationUs ?? 0);
      if (replayEpoch !== rig.epoch && !redelivered) {
        // A replay's loop or seek. Another topic may still deliver the old epoch (each topic comes in its
        // own batches): hold the newer records until every topic of the old epoch has moved on.
        if (olderEpoch(replayEpoch, rig.epoch) || (rig.next !== undefined && olderEpoch(replayEpoch, rig.next.epoch))) {
          counts.staleEpochRecords++;
          track({ record, rigId: value.rigId, kind: entry.kind, endUs, done: true, epoch: replayEpoch });
          return;
        }
        if (rig.epochTopics.size === 0 && rig.lastPivotUs === Number.NEGATIVE_INFINITY) rig.epoch = replayEpoch; // nothing to reset yet
        else if (rig.epochTopics.size === 0) {
          // Restored from a checkpoint of another epoch: reset at once.
          rig.next = { epoch: replayEpoch, crossed: new Set(), items: [] };
          await switchEpoch(value.rigId, rig);
        } else {
          if (rig.next !== undefined && rig.next.epoch !== replayEpoch) await switchEpoch(value.rigId, rig);
          rig.next ??= { epoch: replayEpoch, crossed: new Set(), items: [] };
          rig.next.crossed.add(record.topic);
          rig.next.items.push(item);
          track({ record, rigId: value.rigId, kind: entry.kind, endUs, done: false, epoch: replayEpoch });
          tracked = true;
          if (hasMovedOn(rig) || rig.next.items.length >= MAX_NEXT_EPOCH_RECORDS) await switchEpoch(value.rigId, rig);
          return;
        }
      }
      if (replayEpoch === rig.epoch) rig.epochTopics.add(record.topic);
      rig.knownTopics.add(record.topic);
      // Already reflected in the rig's checkpoint (redelivered after a restart): not fed again.
      const seen = redelivered || (payload.kind === 'lidar' && value.captureTimeUs <= rig.lastPivotUs);
      track({ record, rigId: value.rigId, kind: entry.kind, endUs, done: seen, epoch: replayEpoch });
      tracked = true;
      if (!seen) feed(rig, item);
    } catch (err: unknown) {
      if (err instanceof CheckpointMismatchError) throw err;
      if (!tracked) track({ record, rigId: undefined, kind: undefined, endUs: 0, done: true });
      await deadLetter(record, err);
    }
    if (queue.length >= MAX_QUEUED) await committer;
    if (framesFusing >= MAX_QUEUED) await Promise.all(fusing.values());
  };

  /** The input topics: obs.sensor only when configured and existing (optional; read at start). */
  const inputTopics = async (): Promise<string[]> => {
    const core = [config.topics.lidar, config.topics.camera, config.topics.audio, config.topics.motion];
    if (sensorTopic === '') return core;
    if ((await bus.admin.partitionCount(sensorTopic)) === undefined) {
      logger?.info({ topic: sensorTopic }, 'device-sensor topic absent: fused frames carry no device state');
      return core;
    }
    return [...core, sensorTopic];
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
      // The first (empty) transaction initialises the transactional producer, which aborts or completes
      // whatever its predecessor with the same id left open, before any checkpoint is resolved.
      const fenced = bus.transaction().then((txn) => txn.abort()).then(inputTopics);
      subscription = from(fenced)
        .pipe(
          concatMap((topics) => bus.subscribe({ groupId: config.groupId, topics, fromBeginning: true, onAssignment, highWaterMark: consumer.maxInFlightRecords, highWaterMarkBytes: consumer.maxInFlightBytes })),
          map((record) => ({ record, epoch: partitionEpoch.get(tpKey(record)) ?? 0 })),
          concatMap(({ record, epoch }) => handle(record, epoch)),
        )
        .subscribe({ error: fail });
    },
    isReady: () => state === 'running',
    async drain() {
      if (state === 'stopped') return;
      if (state !== 'failed') state = 'draining';
      subscription?.unsubscribe();
      for (const rig of rigs.values()) rig.input.complete();
      await Promise.all(fusing.values());
      await committed().catch(() => undefined);
      for (const rig of rigs.values()) rig.subscription.unsubscribe();
      state = 'stopped';
      await Promise.all([...fusions.values()].map((f) => f.close().catch(() => undefined)));
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
