import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { cameraFrameSchema, lidarScanSchema, rigCalibrationSchema, type CameraFrame, type LidarScan, type RigCalibration } from '@sensorfuse/schemas';
import type { OutgoingRecord } from '@sensorfuse/transport';

const registry = new SchemaRegistry();
export const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
export const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
export const calibrationCodec = createCodec<RigCalibration>(registry, rigCalibrationSchema);

export const T0_US = 1_700_000_000_000_000;

export function lidar(rigId: string, seq: number, captureTimeUs: number, points = 100): LidarScan {
  const data = Buffer.alloc(points * 16);
  for (let i = 0; i < points * 4; i++) data.writeFloatLE((seq * 7 + i) % 50, i * 4);
  return {
    rigId, sensorId: 'lidar_top', seq, captureTimeUs, publishTimeUs: captureTimeUs + 3_000, frameId: 'lidar_top',
    fields: [
      { name: 'x', offset: 0, datatype: 'float32', count: 1 },
      { name: 'y', offset: 4, datatype: 'float32', count: 1 },
      { name: 'z', offset: 8, datatype: 'float32', count: 1 },
      { name: 'intensity', offset: 12, datatype: 'float32', count: 1 },
    ],
    pointStride: 16, pointCount: points, data, sweepDurationUs: 100_000,
  };
}

export function camera(rigId: string, seq: number, captureTimeUs: number): CameraFrame {
  return {
    rigId, sensorId: 'cam_front', seq, captureTimeUs, publishTimeUs: captureTimeUs + 1_000, frameId: 'cam_front',
    width: 4, height: 2, encoding: 'gray8', stride: 4, data: Buffer.from([seq & 255, 1, 2, 3, 4, 5, 6, 7]),
  };
}

export function calibration(rigId: string, validFromUs: number): RigCalibration {
  return {
    rigId, version: 1, validFromUs,
    sensors: [{
      sensorId: 'lidar_top', modality: 'lidar', frameId: 'lidar_top',
      extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar_top', transform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1.8, 0, 0, 0, 1] },
      cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0,
    }],
  };
}

export interface Published { readonly topic: string; readonly record: OutgoingRecord; readonly captureTimeUs: number }

/**
 * A 2-rig drive: calibration first, then LIDAR at 10 Hz and camera at 20 Hz with per-record
 * traceparent headers, a null-key JSON record on sim.truth, in capture order.
 */
export function drive(seconds: number): Published[] {
  const out: Published[] = [];
  for (const rig of ['rig-a', 'rig-b']) {
    out.push({ topic: 'calibration.rig', captureTimeUs: T0_US - 1, record: { key: rig, value: calibrationCodec.encode(calibration(rig, T0_US - 1)), headers: { 'content-type': 'application/vnd.sensorfuse.rigcalibration' } } });
  }
  const events: Published[] = [];
  let n = 0;
  for (let t = 0; t < seconds * 1_000_000; t += 50_000) {
    for (const rig of ['rig-a', 'rig-b']) {
      const at = T0_US + t + (rig === 'rig-b' ? 7_000 : 0);
      const trace = `00-${(n++).toString(16).padStart(32, '0')}-00f067aa0ba902b7-01`;
      events.push({ topic: 'raw.camera', captureTimeUs: at + 1, record: { key: rig, value: cameraCodec.encode(camera(rig, t / 50_000, at + 1)), headers: { 'content-type': 'application/vnd.sensorfuse.cameraframe', traceparent: trace } } });
      if (t % 100_000 === 0) {
        events.push({ topic: 'raw.lidar', captureTimeUs: at, record: { key: rig, value: lidarCodec.encode(lidar(rig, t / 100_000, at)), headers: { 'content-type': 'application/vnd.sensorfuse.lidarscan', traceparent: trace } } });
      }
    }
  }
  events.sort((a, b) => a.captureTimeUs - b.captureTimeUs);
  out.push(...events);
  const endUs = T0_US + seconds * 1_000_000;
  out.push({ topic: 'sim.truth', captureTimeUs: endUs, record: { key: null, value: Buffer.from(JSON.stringify({ captureTimeUs: endUs, objects: [] })), headers: { 'content-type': 'application/json' } } });
  return out;
}
