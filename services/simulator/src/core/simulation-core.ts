import type { SoundEvent } from './audio.js';
import { AudioModel, planSoundEvents } from './audio.js';
import type { CameraFrame } from './camera.js';
import { CameraModel } from './camera.js';
import { applyTransportFaults } from './faults.js';
import type { Transform, Vec3 } from './geometry.js';
import { BODY_FROM_OPTICAL, IDENTITY_TRANSFORM, invertTransform, multiplyMat3, rotateVec, rotationFromYawPitchRoll, transposeMat3, wrapAngle } from './geometry.js';
import { LIDAR_POINT_FIELDS, LIDAR_POINT_STRIDE_BYTES, LidarModel } from './lidar.js';
import type { LidarSweep } from './lidar.js';
import { GnssModel, ImuModel } from './motion.js';
import type { DeviceSpec } from './devices.js';
import { DEVICE_SPECS, DeviceModel } from './devices.js';
import { intrinsicsFromFov } from './projection.js';
import type { DeviceTruth, RecordHeader, RigCalibration, SensorRecord, SimRecord, SoundEventTruth, TruthRecord, ObjectTruth, EgoTruth } from './records.js';
import type { ActiveSound } from './audio.js';
import { Rng, gaussianTable } from './rng.js';
import type { Scenario, TransportFaults } from './scenario.js';
import { faultsFor } from './scenario.js';
import { translationOnly, worldFromPose, worldFromSensor } from './sensor-pose.js';
import type { ObjectState } from './world.js';
import { World } from './world.js';

export const EGO_FRAME_ID = 'base_link';
export const WORLD_FRAME_ID = 'map';

export type SensorKind = 'camera' | 'lidar' | 'audio' | 'imu' | 'gnss' | 'device';
export const SENSOR_KINDS: readonly SensorKind[] = ['camera', 'lidar', 'audio', 'imu', 'gnss', 'device'];

export interface CoreOptions {
  readonly seed: number;
  /** Override the scenario's start time (e.g. "now" for a live demo); default: the scenario's. */
  readonly startTimeUs?: number;
  /** Sensors to simulate; default all. */
  readonly sensors?: readonly SensorKind[];
  /** Emit ground-truth records in the stream (default true). */
  readonly truth?: 'emit' | 'omit';
  /** A monotonic clock in milliseconds, only to measure per-sensor cost (e.g. performance.now). */
  readonly costClockMs?: () => number;
}

/** Sensor records from the core: camera frames carry raw RGB; JPEG encoding happens in the async wrapper. */
export type CoreRecord = SimRecord;

interface SensorSlot {
  readonly kind: SensorKind;
  readonly sensorId: string;
  readonly frameId: string;
  readonly periodUs: number;
  readonly order: number;
  readonly faults: TransportFaults;
  readonly faultRng: Rng;
  /** Device sensors: which one. */
  readonly device?: DeviceSpec;
  nextIndex: number;
}

interface Pending {
  readonly record: CoreRecord;
  readonly order: number;
}

/** Build the rig calibration from the scenario's sensor mounts. */
export function rigCalibrationFor(s: Scenario): RigCalibration {
  const c = s.sensors.camera;
  const [yaw, pitch, roll] = c.mountYawPitchRollDeg.map((d) => (d * Math.PI) / 180) as [number, number, number];
  const camRot = multiplyMat3(rotationFromYawPitchRoll(yaw, pitch, roll), BODY_FROM_OPTICAL);
  const l = s.sensors.lidar;
  return {
    rigId: s.rigId,
    egoFrameId: EGO_FRAME_ID,
    worldFrameId: WORLD_FRAME_ID,
    origin: s.origin,
    cameras: [{ sensorId: c.sensorId, frameId: c.sensorId, intrinsics: intrinsicsFromFov(c.width, c.height, c.horizontalFovDeg), egoFromSensor: { rotation: camRot, translation: [...c.mountPositionM] } }],
    lidars: [{ sensorId: l.sensorId, frameId: l.sensorId, egoFromSensor: translationOnly(l.mountPositionM), beams: l.beams, azimuthSteps: l.azimuthSteps, minElevationDeg: l.minElevationDeg, maxElevationDeg: l.maxElevationDeg }],
    microphoneArrays: [{ sensorId: s.sensors.audio.sensorId, frameId: EGO_FRAME_ID, egoFromSensor: IDENTITY_TRANSFORM, positionsM: s.sensors.audio.micPositionsM.map((p) => [p[0], p[1], p[2]] as Vec3), sampleRateHz: s.sensors.audio.sampleRateHz }],
    imus: [{ sensorId: s.sensors.imu.sensorId, frameId: s.sensors.imu.sensorId, egoFromSensor: translationOnly(s.sensors.imu.mountPositionM) }],
    gnss: [{ sensorId: s.sensors.gnss.sensorId, frameId: s.sensors.gnss.sensorId, egoFromSensor: IDENTITY_TRANSFORM }],
  };
}

/**
 * The pure, deterministic simulation: given a scenario and a seed it produces every sensor record
 * and the ground truth, in delivery order (publishTimeUs; equal to capture order unless the
 * scenario's transport faults delay or reorder records). No I/O, no wall clock, no Math.random.
 */
export class CoreSimulation {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly world: World;
  readonly calibration: RigCalibration;
  readonly soundEvents: readonly SoundEvent[];
  readonly startTimeUs: number;
  readonly endTimeUs: number;
  /** Milliseconds spent per sensor (only when a costClockMs is given). */
  readonly costMs: Record<SensorKind | 'truth' | 'world', number> = { camera: 0, lidar: 0, audio: 0, imu: 0, gnss: 0, device: 0, truth: 0, world: 0 };
  readonly imu: ImuModel;
  private readonly opts: CoreOptions;
  private readonly camera: CameraModel;
  private readonly lidar: LidarModel;
  private readonly audio: AudioModel;
  private readonly gnss: GnssModel;
  private readonly devices: DeviceModel;
  private readonly deviceRng: Map<string, Rng>;
  private readonly slots: SensorSlot[];
  private readonly sensorRng: Map<SensorKind, Rng>;
  private readonly egoFromCamera: Transform;
  private readonly egoFromLidar: Transform;

  constructor(scenario: Scenario, opts: CoreOptions) {
    // Payloads are filled through typed arrays, which use the host's byte order; the wire is little-endian.
    if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('the simulator needs a little-endian host');
    this.scenario = scenario;
    this.seed = opts.seed >>> 0;
    this.opts = opts;
    const clock = opts.costClockMs;
    const t0 = clock?.() ?? 0;
    this.world = new World(scenario, this.seed);
    this.calibration = rigCalibrationFor(scenario);
    this.startTimeUs = opts.startTimeUs ?? scenario.startTimeUs;
    this.endTimeUs = this.startTimeUs + Math.round(scenario.durationS * 1e6);
    const sc = scenario.sensors;
    const cam = this.calibration.cameras[0];
    const lid = this.calibration.lidars[0];
    if (!cam || !lid) throw new Error('rig calibration has no camera or lidar');
    this.egoFromCamera = cam.egoFromSensor;
    this.egoFromLidar = lid.egoFromSensor;
    this.camera = new CameraModel(sc.camera, cam.intrinsics, Rng.forName(this.seed, 'camera-dirt'), gaussianTable(Rng.forName(this.seed, 'camera-noise-table'), 1 << 16));
    this.lidar = new LidarModel(sc.lidar);
    this.soundEvents = planSoundEvents(this.world, this.seed);
    this.audio = new AudioModel(sc.audio, this.world, this.soundEvents, this.seed);
    this.imu = new ImuModel(sc.imu, Rng.forName(this.seed, 'imu'), Rng.forName(this.seed, 'magnetometer'));
    this.gnss = new GnssModel(sc.gnss, Rng.forName(this.seed, 'gnss'));
    this.devices = new DeviceModel(sc.devices, Rng.forName(this.seed, 'devices'));
    this.deviceRng = new Map(DEVICE_SPECS.map((d) => [d.sensorId, Rng.forName(this.seed, `device-${d.sensorId}`)]));
    this.sensorRng = new Map(SENSOR_KINDS.map((k) => [k, Rng.forName(this.seed, `sensor-${k}`)]));
    const enabled = new Set(opts.sensors ?? SENSOR_KINDS);
    const defs: [SensorKind, string, string, number][] = [
      ['imu', sc.imu.sensorId, sc.imu.sensorId, 1e6 / sc.imu.rateHz],
      ['gnss', sc.gnss.sensorId, sc.gnss.sensorId, 1e6 / sc.gnss.rateHz],
      ['audio', sc.audio.sensorId, EGO_FRAME_ID, sc.audio.chunkMs * 1000],
      ['lidar', sc.lidar.sensorId, sc.lidar.sensorId, 1e6 / sc.lidar.rateHz],
      ['camera', sc.camera.sensorId, sc.camera.sensorId, 1e6 / sc.camera.rateHz],
    ];
    const deviceDefs: [SensorKind, string, string, number, DeviceSpec][] = sc.devices.rateHz > 0
      ? DEVICE_SPECS.map((d) => ['device', d.sensorId, EGO_FRAME_ID, 1e6 / sc.devices.rateHz, d])
      : [];
    this.slots = [...defs.map(([k, id, f, p]): [SensorKind, string, string, number, DeviceSpec | undefined] => [k, id, f, p, undefined]), ...deviceDefs]
      .filter(([k]) => enabled.has(k))
      .map(([kind, sensorId, frameId, periodUs, device], order) => ({
        kind, sensorId, frameId, periodUs, order,
        faults: faultsFor(scenario, sensorId),
        faultRng: Rng.forName(this.seed, `faults-${sensorId}`),
        ...(device ? { device } : {}),
        nextIndex: 0,
      }));
    if (clock) this.costMs.world += clock() - t0;
  }

  /** Sound events as ground truth, with object ids and absolute times. */
  soundEventTruth(): SoundEventTruth[] {
    return this.soundEvents.map((e) => ({
      eventId: e.eventId,
      kind: e.kind,
      objectId: this.world.objects[e.objectIndex]?.id ?? -1,
      onsetUs: this.startTimeUs + Math.round(e.onsetS * 1e6),
      offsetUs: this.startTimeUs + Math.round(e.offsetS * 1e6),
    }));
  }

  /** Every record in delivery order. */
  *records(): Generator<CoreRecord, void, undefined> {
    const tickUs = 100_000;
    // Truth records form their own stream ('truth'): number them in delivery order (forSeq names the capture).
    let truthSeq = 0;
    const numberTruth = (r: CoreRecord): CoreRecord => (r.kind === 'truth' ? { ...r, seq: truthSeq++ } : r);
    const heap = new MinHeap<Pending>((a, b) =>
      a.record.publishTimeUs - b.record.publishTimeUs || a.order - b.order || a.record.seq - b.record.seq || (a.record.kind === 'truth' ? 1 : 0) - (b.record.kind === 'truth' ? 1 : 0),
    );
    for (let t0 = this.startTimeUs; t0 < this.endTimeUs; t0 += tickUs) {
      const t1 = Math.min(this.endTimeUs, t0 + tickUs);
      for (const slot of this.slots) {
        for (;;) {
          const trueUs = this.startTimeUs + Math.round(slot.nextIndex * slot.periodUs);
          if (trueUs >= t1) break;
          const seq = slot.nextIndex;
          slot.nextIndex++;
          // The sensor always captures (noise state advances); the transport then decides delivery.
          const produced = this.capture(slot, seq, trueUs);
          if (produced === undefined) continue; // a silent device sends nothing (its seq still advances)
          const deliveries = applyTransportFaults(slot.faults, slot.faultRng, trueUs, this.startTimeUs, slot.periodUs);
          for (const d of deliveries) heap.push({ record: { ...produced.record, captureTimeUs: d.captureTimeUs, publishTimeUs: d.publishTimeUs }, order: slot.order });
          if (produced.truth && this.opts.truth !== 'omit') heap.push({ record: produced.truth, order: slot.order + 10 });
        }
      }
      while (heap.size > 0 && (heap.peek()?.record.publishTimeUs ?? Infinity) < t1) {
        const p = heap.pop();
        if (p) yield numberTruth(p.record);
      }
    }
    while (heap.size > 0) {
      const p = heap.pop();
      if (p) yield numberTruth(p.record);
    }
  }

  private header(slot: SensorSlot, seq: number, trueUs: number): RecordHeader {
    return { rigId: this.scenario.rigId, sensorId: slot.sensorId, seq, captureTimeUs: trueUs, publishTimeUs: trueUs, trueCaptureTimeUs: trueUs, frameId: slot.frameId };
  }

  private capture(slot: SensorSlot, seq: number, trueUs: number): { record: SensorRecord; truth?: TruthRecord } | undefined {
    const clock = this.opts.costClockMs;
    const t0 = clock?.() ?? 0;
    const tS = (trueUs - this.startTimeUs) / 1e6;
    const h = this.header(slot, seq, trueUs);
    const rng = this.sensorRng.get(slot.kind) ?? new Rng(this.seed);
    let out: { record: SensorRecord; truth?: TruthRecord };
    switch (slot.kind) {
      case 'imu': {
        const s = this.imu.sample(this.world, tS);
        out = { record: { ...h, kind: 'imu', linearAcceleration: s.linearAcceleration, angularVelocity: s.angularVelocity, ...(s.magneticFieldT ? { magneticFieldT: s.magneticFieldT } : {}) } };
        break;
      }
      case 'gnss': {
        out = { record: { ...h, kind: 'gnss', ...this.gnss.sample(this.world, tS) } };
        break;
      }
      case 'audio': {
        const cfg = this.scenario.sensors.audio;
        const n = Math.round((cfg.sampleRateHz * cfg.chunkMs) / 1000);
        const chunk = this.audio.chunk(tS, n);
        const record: SensorRecord = {
          ...h, kind: 'audio', sampleRateHz: cfg.sampleRateHz, channels: cfg.micPositionsM.length, sampleCount: n, encoding: 's16le',
          data: new Uint8Array(chunk.samples.buffer, chunk.samples.byteOffset, chunk.samples.byteLength),
        };
        out = { record, truth: this.truthRecord(slot, seq, trueUs, tS, this.world.objectStates(tS), undefined, undefined, chunk.active) };
        break;
      }
      case 'lidar': {
        const ego = this.world.egoPose(tS);
        const states = this.world.objectStates(tS);
        const sweep = this.lidar.sweep(this.world, worldFromSensor(ego, this.egoFromLidar), states, rng);
        const record: SensorRecord = {
          ...h, kind: 'lidar', pointCount: sweep.pointCount, fields: LIDAR_POINT_FIELDS, pointStrideBytes: LIDAR_POINT_STRIDE_BYTES,
          data: sweep.data, labels: sweep.labels,
        };
        const t1 = clock?.() ?? 0;
        const truth = this.truthRecord(slot, seq, trueUs, tS, states, sweep, undefined, []);
        if (clock) this.costMs.truth += clock() - t1;
        out = { record, truth };
        break;
      }
      case 'device': {
        const spec = slot.device;
        if (!spec) throw new Error(`device slot ${slot.sensorId} has no spec`);
        const drng = this.deviceRng.get(spec.sensorId) ?? rng;
        // The reading is drawn even while silent, so a silent window does not shift later noise.
        const reading = this.devices.read(spec, this.world, tS, drng);
        if (clock) this.costMs.device += clock() - t0;
        if (!this.devices.transmits(spec.sensorId, tS)) return undefined;
        const rate = this.scenario.sensors.devices.rateHz;
        return {
          record: {
            ...h, kind: 'device', sensorType: spec.sensorType, values: reading.values, unit: spec.unit,
            metadata: seq % 50 === 0
              ? { unit: spec.unit, minValue: spec.minValue, maxValue: spec.maxValue, resolution: spec.resolution, expectedRateHz: rate, noiseStd: spec.noiseStd * this.scenario.sensors.devices.noiseScale }
              : null,
            trueValues: reading.trueValues, fault: reading.fault,
          },
        };
      }
      case 'camera': {
        const kin = this.world.egoKinematics(tS);
        const states = this.world.objectStates(tS);
        const frame = this.camera.render(this.world, worldFromSensor(kin.pose, this.egoFromCamera), states, kin.angularVelocityBody[2], kin.speedMps, rng);
        this.lastCameraFrame = frame;
        const record: SensorRecord = { ...h, kind: 'camera', width: frame.width, height: frame.height, encoding: 'rgb8', data: frame.rgb };
        out = { record, truth: this.truthRecord(slot, seq, trueUs, tS, states, undefined, frame, []) };
        break;
      }
    }
    if (clock) this.costMs[slot.kind] += clock() - t0;
    return out;
  }

  /** The last rendered camera frame with its id buffer (ground truth for tests and pictures). */
  lastCameraFrame: CameraFrame | undefined;

  private truthRecord(
    slot: SensorSlot, seq: number, trueUs: number, tS: number, states: readonly ObjectState[],
    sweep: LidarSweep | undefined, frame: CameraFrame | undefined, sounds: readonly ActiveSound[],
  ): TruthRecord {
    const kin = this.world.egoKinematics(tS);
    const pose = kin.pose;
    const egoFromWorld = invertTransform(worldFromPose(pose));
    const rT = transposeMat3(kin.rotation);
    const ego: EgoTruth = {
      positionM: pose.position, yawRad: pose.yaw, pitchRad: pose.pitch, rollRad: pose.roll,
      velocityMps: kin.velocityWorld, speedMps: kin.speedMps,
    };
    const objects: ObjectTruth[] = states.map((s, i) => {
      const b = s.box;
      const c = egoFromWorld.rotation;
      const t = egoFromWorld.translation;
      const ce: Vec3 = [
        c[0] * b.center[0] + c[1] * b.center[1] + c[2] * b.center[2] + t[0],
        c[3] * b.center[0] + c[4] * b.center[1] + c[5] * b.center[2] + t[1],
        c[6] * b.center[0] + c[7] * b.center[1] + c[8] * b.center[2] + t[2],
      ];
      const box2d = frame?.boxes2d[i];
      return {
        id: s.object.id,
        objectClass: s.object.objectClass,
        box: { centerM: b.center, lengthM: b.length, widthM: b.width, heightM: b.height, yawRad: b.yaw },
        boxEgo: { centerM: ce, lengthM: b.length, widthM: b.width, heightM: b.height, yawRad: wrapAngle(b.yaw - pose.yaw) },
        velocityMps: s.velocity,
        velocityEgoMps: rotateVec(rT, s.velocity),
        ...(frame ? { camera: { visibleFraction: frame.visibleFraction[i] ?? 0, ...(box2d ? { box2d } : {}) } } : {}),
        ...(sweep ? { lidar: { points: sweep.pointsPerObject[i] ?? 0 } } : {}),
      };
    });
    return {
      kind: 'truth', rigId: this.scenario.rigId, sensorId: 'truth', seq, captureTimeUs: trueUs, publishTimeUs: trueUs, trueCaptureTimeUs: trueUs,
      frameId: WORLD_FRAME_ID, forSensorId: slot.sensorId, forSeq: seq, ego, objects,
      sounds: sounds.map((a) => ({ ...a, objectId: this.world.objects[a.objectIndex]?.id ?? -1 })), devices: this.deviceTruth(tS),
    };
  }

  /** Every device sensor's true value at tS (SI units), for the truth records. */
  private deviceTruth(tS: number): DeviceTruth[] {
    const cfg = this.scenario.sensors.devices;
    if (cfg.rateHz <= 0 || !(this.opts.sensors ?? SENSOR_KINDS).includes('device')) return [];
    return DEVICE_SPECS.map((d) => ({
      sensorId: d.sensorId, values: this.devices.truth(d, this.world, tS), unit: d.siUnit,
      transmitting: this.devices.transmits(d.sensorId, tS),
      stuck: cfg.stuck.some((w) => w.sensorId === d.sensorId && tS >= w.fromS && tS < w.fromS + w.durationS),
    }));
  }
}

/** A binary min-heap (records are popped in publish order). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ai = a[i] as T;
      const ap = a[p] as T;
      if (this.less(ai, ap) >= 0) break;
      a[i] = ap;
      a[p] = ai;
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l] as T, a[m] as T) < 0) m = l;
        if (r < a.length && this.less(a[r] as T, a[m] as T) < 0) m = r;
        if (m === i) break;
        const tmp = a[i] as T;
        a[i] = a[m] as T;
        a[m] = tmp;
        i = m;
      }
    }
    return top;
  }
}
