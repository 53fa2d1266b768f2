// Frames and calibrations for the specs: AlignedFrames built by hand (one LIDAR pivot, cameras nearest).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlignedFrame, FrameMember, Presence } from '@sensorfuse/align';
import type { CameraDetections, LidarObjects, RigCalibration } from '@sensorfuse/schemas';
import type { FusionPayload } from './core/types.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DATA_DIR = path.resolve(REPO_ROOT, '../shared/data');
export const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

export const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** A roof LIDAR at the body origin (identity extrinsics), as the MemoryBus worker specs use it. */
export const LIDAR_TOP: RigCalibration['sensors'][number] = {
  sensorId: 'lidar_top', modality: 'lidar', frameId: 'lidar_top',
  extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar_top', transform: IDENTITY },
  cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0,
};

/** Version 1 of a rig with LIDAR_TOP only, valid from time 0. */
export function lidarOnlyCalibration(rigId = 'rig-1'): RigCalibration {
  return { rigId, version: 1, validFromUs: 0, sensors: [LIDAR_TOP] };
}

export function lidarRecord(value: LidarObjects) {
  return { sensorId: value.sensorId, seq: value.seq, captureTimeUs: value.captureTimeUs, payload: { kind: 'lidar', value } as FusionPayload };
}

/** An aligned frame: the LIDAR sweep as pivot and each camera as its own `camera:<id>` input. */
export function frameOf(lidar: LidarObjects, cameras: readonly CameraDetections[], extra: Record<string, FrameMember<FusionPayload>> = {}): AlignedFrame<FusionPayload> {
  const members: Record<string, FrameMember<FusionPayload>> = { ...extra };
  const presence: Record<string, Presence> = { lidar: 'present' };
  for (const c of cameras) {
    members[`camera:${c.sensorId}`] = {
      select: 'nearest',
      record: { sensorId: c.sensorId, seq: c.seq, captureTimeUs: c.captureTimeUs, payload: { kind: 'camera', value: c } },
      timeUs: c.captureTimeUs,
      offsetFromPivotUs: c.captureTimeUs - lidar.captureTimeUs,
    };
    presence[`camera:${c.sensorId}`] = 'present';
  }
  for (const k of Object.keys(extra)) presence[k] = 'present';
  return {
    pivotInput: 'lidar',
    pivot: lidarRecord(lidar),
    pivotTimeUs: lidar.captureTimeUs,
    members,
    presence,
    closedBy: {},
    complete: true,
    openedAtUs: lidar.captureTimeUs,
    emittedAtUs: lidar.captureTimeUs,
  };
}

export function header(sensorId: string, seq: number, captureTimeUs: number, frameId: string) {
  return { rigId: 'rig', sensorId, seq, captureTimeUs, publishTimeUs: captureTimeUs, frameId };
}

export type { RigCalibration };
