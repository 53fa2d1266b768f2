import type {
  AudioChunk, CameraFrame, CameraIntrinsics, Extrinsics, GroundTruth, LidarScan, MotionSample, SensorReading, RigCalibration as WireRigCalibration, SensorCalibration, Vector3,
} from '@sensorfuse/schemas';
import type { Transform, Vec3 } from '../core/geometry.js';
import { SPEED_OF_SOUND_MPS } from '../core/audio.js';
import type { AudioRecord, BoxTruth, CameraRecord, DeviceRecord, GnssRecord, TruthRecord, ImuRecord, LidarRecord, RigCalibration, SensorRecord } from '../core/records.js';
import type { Scenario } from '../core/scenario.js';
import { faultsFor } from '../core/scenario.js';

/** Topic of each raw record kind (DESIGN.md "Topics"). */
export const RAW_TOPICS = { camera: 'raw.camera', lidar: 'raw.lidar', audio: 'raw.audio', imu: 'raw.motion', gnss: 'raw.motion', device: 'raw.sensor' } as const;

function vec(v: Vec3): Vector3 {
  return { x: v[0], y: v[1], z: v[2] };
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function toCameraFrame(r: CameraRecord): CameraFrame {
  return {
    rigId: r.rigId, sensorId: r.sensorId, seq: r.seq, captureTimeUs: r.captureTimeUs, publishTimeUs: r.publishTimeUs, frameId: r.frameId,
    width: r.width, height: r.height, encoding: r.encoding, stride: r.encoding === 'rgb8' ? r.width * 3 : 0, data: asBuffer(r.data),
  };
}

/** The simulated sweep is instantaneous (every point at captureTimeUs), so its duration is 0. */
export function toLidarScan(r: LidarRecord, sweepDurationUs: number | null = 0): LidarScan {
  return {
    rigId: r.rigId, sensorId: r.sensorId, seq: r.seq, captureTimeUs: r.captureTimeUs, publishTimeUs: r.publishTimeUs, frameId: r.frameId,
    fields: r.fields.map((f) => ({ name: f.name, offset: f.offset, datatype: f.datatype, count: 1 })),
    pointStride: r.pointStrideBytes, pointCount: r.pointCount, data: asBuffer(r.data), sweepDurationUs,
  };
}

export function toAudioChunk(r: AudioRecord): AudioChunk {
  return {
    rigId: r.rigId, sensorId: r.sensorId, seq: r.seq, captureTimeUs: r.captureTimeUs, publishTimeUs: r.publishTimeUs, frameId: r.frameId,
    sampleFormat: 's16le', channels: r.channels, sampleRateHz: r.sampleRateHz, frames: r.sampleCount, data: asBuffer(r.data),
  };
}

export function toMotionSample(r: ImuRecord | GnssRecord): MotionSample {
  const header = { rigId: r.rigId, sensorId: r.sensorId, seq: r.seq, captureTimeUs: r.captureTimeUs, publishTimeUs: r.publishTimeUs, frameId: r.frameId };
  if (r.kind === 'imu') {
    return {
      ...header,
      payload: { 'sensorfuse.ImuSample': { linearAcceleration: vec(r.linearAcceleration), angularVelocity: vec(r.angularVelocity), magneticField: r.magneticFieldT === undefined ? null : vec(r.magneticFieldT), orientation: null } },
    };
  }
  const h2 = r.horizontalSigmaM ** 2;
  return {
    ...header,
    payload: {
      'sensorfuse.GnssFix': {
        latitudeDeg: r.latitudeDeg, longitudeDeg: r.longitudeDeg, altitudeM: r.altitudeM,
        // ENU diagonal as NavSatFix: the receiver reports its nominal sigma; multipath is not in it (that is the point).
        positionCovariance: [h2, 0, 0, 0, h2, 0, 0, 0, r.verticalSigmaM ** 2],
        covarianceType: 'diagonal_known',
        fixType: 'fix',
      },
    },
  };
}

/** A device reading as SensorReading; the truth beside it stays behind. */
export function toSensorReading(r: DeviceRecord): SensorReading {
  return {
    rigId: r.rigId, sensorId: r.sensorId, seq: r.seq, captureTimeUs: r.captureTimeUs, publishTimeUs: r.publishTimeUs, frameId: r.frameId,
    sensorType: r.sensorType, values: [...r.values], unit: r.unit, quality: 'good',
    metadata: r.metadata === null ? null : { ...r.metadata },
  };
}

function box(b: BoxTruth): GroundTruth['objects'][number]['box'] {
  return { center: vec(b.centerM), lengthM: b.lengthM, widthM: b.widthM, heightM: b.heightM, yawRad: b.yawRad };
}

/** A truth record as the GroundTruth Avro record (sim.truth). */
export function toGroundTruth(t: TruthRecord): GroundTruth {
  return {
    rigId: t.rigId, sensorId: t.sensorId, seq: t.seq, captureTimeUs: t.captureTimeUs, publishTimeUs: t.publishTimeUs, frameId: t.frameId,
    forSensorId: t.forSensorId, forSeq: t.forSeq,
    ego: {
      position: vec(t.ego.positionM), yawRad: t.ego.yawRad, pitchRad: t.ego.pitchRad, rollRad: t.ego.rollRad,
      velocity: vec(t.ego.velocityMps), speedMps: t.ego.speedMps,
    },
    objects: t.objects.map((o) => ({
      id: o.id, objectClass: o.objectClass, box: box(o.box), boxEgo: box(o.boxEgo), velocity: vec(o.velocityMps), velocityEgo: vec(o.velocityEgoMps),
      camera: o.camera ? { visibleFraction: o.camera.visibleFraction, box2d: o.camera.box2d ? { ...o.camera.box2d } : null } : null,
      lidar: o.lidar ? { points: o.lidar.points } : null,
    })),
    sounds: t.sounds.map((s) => ({ eventId: s.eventId, kind: s.kind, objectId: s.objectId, azimuthDeg: s.azimuthDeg, distanceM: s.distanceM })),
    devices: t.devices.map((d) => ({ sensorId: d.sensorId, values: [...d.values], unit: d.unit, transmitting: d.transmitting, stuck: d.stuck })),
  };
}

/** The wire record and its topic for a sensor record. */
export function toWire(r: SensorRecord):
  | { topic: 'raw.camera'; schema: 'CameraFrame'; value: CameraFrame }
  | { topic: 'raw.lidar'; schema: 'LidarScan'; value: LidarScan }
  | { topic: 'raw.audio'; schema: 'AudioChunk'; value: AudioChunk }
  | { topic: 'raw.motion'; schema: 'MotionSample'; value: MotionSample }
  | { topic: 'raw.sensor'; schema: 'SensorReading'; value: SensorReading } {
  switch (r.kind) {
    case 'camera':
      return { topic: 'raw.camera', schema: 'CameraFrame', value: toCameraFrame(r) };
    case 'lidar':
      return { topic: 'raw.lidar', schema: 'LidarScan', value: toLidarScan(r, 0) };
    case 'audio':
      return { topic: 'raw.audio', schema: 'AudioChunk', value: toAudioChunk(r) };
    case 'imu':
    case 'gnss':
      return { topic: 'raw.motion', schema: 'MotionSample', value: toMotionSample(r) };
    case 'device':
      return { topic: 'raw.sensor', schema: 'SensorReading', value: toSensorReading(r) };
  }
}

/** Row-major 4x4 [R t; 0 1]. */
export function transformToMatrix4(t: Transform): number[] {
  const r = t.rotation;
  const p = t.translation;
  return [r[0], r[1], r[2], p[0], r[3], r[4], r[5], p[1], r[6], r[7], r[8], p[2], 0, 0, 0, 1];
}

function extrinsics(parentFrameId: string, childFrameId: string, t: Transform): Extrinsics {
  return { parentFrameId, childFrameId, transform: transformToMatrix4(t) };
}

/**
 * The rig calibration as the registry stores it. Each sensor's static clock offset is the one the
 * scenario injects (a calibrated offset, as a real rig would have measured); drift stays unknown.
 */
export function toRigCalibration(c: RigCalibration, scenario: Scenario, version = 1, validFromUs = scenario.startTimeUs): WireRigCalibration {
  const offset = (sensorId: string): number => faultsFor(scenario, sensorId).clockOffsetUs;
  const intr = (k: RigCalibration['cameras'][number]['intrinsics']): CameraIntrinsics => ({
    width: k.width, height: k.height, fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy, distortionModel: 'none', distortionCoefficients: [],
  });
  const sensors: SensorCalibration[] = [
    ...c.cameras.map((s) => ({ sensorId: s.sensorId, modality: 'camera' as const, frameId: s.frameId, extrinsics: extrinsics(c.egoFrameId, s.frameId, s.egoFromSensor), cameraIntrinsics: intr(s.intrinsics), microphoneArray: null, clockOffsetUs: offset(s.sensorId) })),
    ...c.lidars.map((s) => ({ sensorId: s.sensorId, modality: 'lidar' as const, frameId: s.frameId, extrinsics: extrinsics(c.egoFrameId, s.frameId, s.egoFromSensor), cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: offset(s.sensorId) })),
    ...c.microphoneArrays.map((s) => ({
      sensorId: s.sensorId, modality: 'audio' as const, frameId: s.frameId, extrinsics: extrinsics(c.egoFrameId, s.frameId, s.egoFromSensor), cameraIntrinsics: null,
      microphoneArray: { positions: s.positionsM.map(vec), speedOfSoundMps: SPEED_OF_SOUND_MPS }, clockOffsetUs: offset(s.sensorId),
    })),
    ...[...c.imus, ...c.gnss].map((s) => ({ sensorId: s.sensorId, modality: 'motion' as const, frameId: s.frameId, extrinsics: extrinsics(c.egoFrameId, s.frameId, s.egoFromSensor), cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: offset(s.sensorId) })),
  ];
  return { rigId: c.rigId, version, validFromUs, sensors };
}
