import { alignByPivot, slerpQuaternion, type AlignedFrame, type InputRecord, type PivotAlignConfig, type PivotInputConfig, type SensorRecord } from '@sensorfuse/align';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { PoisonRecordError, errorName } from '@sensorfuse/errors';
import {
  audioEventsSchema, cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema,
  type AudioEvents, type CameraDetections, type EgoState, type FusedDetections, type LidarObjects,
} from '@sensorfuse/schemas';
import type { StateStore } from '@sensorfuse/state';
import { nowUs } from '@sensorfuse/time';
import { deadLetterRecord, deadLetterTopic, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
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
}

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
}

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

  const stateKey = (rigId: string) => `fusion:state:${rigId}`;

  const emit = (rigId: string, frame: AlignedFrame<FusionPayload>) => {
    const rig = rigs.get(rigId);
    if (rig === undefined) return;
    let resolved;
    try {
      resolved = calibration.at(rigId, frame.pivotTimeUs);
    } catch (err: unknown) {
      counts.framesWithoutCalibration++;
      logger?.warn({ rigId, captureTimeUs: frame.pivotTimeUs, error: errorName(err) }, 'frame skipped: no calibration');
      return;
    }
    const result = update(frame, resolved, rig.state, { params, nowUs: clock() });
    rig.state = result.state;
    counts.frames++;
    options.onOutput?.(result.output);
    const record = outCodec.encode(toFusedDetections(result.output));
    const checkpoint = serializeFusionState(result.state);
    chain = chain.then(async () => {
      await bus.publish(config.topics.output, [{ key: rigId, value: record }]);
      counts.published++;
      await stateStore.set(stateKey(rigId), checkpoint);
    });
  };

  const rigFor = async (rigId: string): Promise<Rig> => {
    const existing = rigs.get(rigId);
    if (existing !== undefined) return existing;
    await calibration.refresh(rigId);
    const saved = await stateStore.get(stateKey(rigId));
    const again = rigs.get(rigId);
    if (again !== undefined) return again;
    const cameras = calibration.cameraIds(rigId);
    const input = new Subject<InputRecord<FusionPayload>>();
    const rig: Rig = {
      input,
      cameras: new Set(cameras),
      state: saved === undefined ? createFusionState(rigId) : deserializeFusionState(saved),
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
      rig.input.next({ input, record: { sensorId: value.sensorId, seq: value.seq, captureTimeUs: value.captureTimeUs, byteLength: record.value.length, ...(durationUs === undefined ? {} : { durationUs }), payload } });
    } catch (err: unknown) {
      await deadLetter(record, err);
    }
    await chain;
    await record.commit();
    counts.processed++;
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
      subscription = bus
        .subscribe({ groupId: config.groupId, topics: [config.topics.lidar, config.topics.camera, config.topics.audio, config.topics.motion], fromBeginning: true })
        .pipe(concatMap((r) => handle(r)))
        .subscribe({
          error: (err: unknown) => {
            state = 'failed';
            logger?.error({ error: errorName(err) }, 'fusion worker failed');
            onFatal?.(err);
          },
        });
    },
    isReady: () => state === 'running',
    async drain() {
      if (state === 'stopped') return;
      state = 'draining';
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
