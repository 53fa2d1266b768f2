import fs from 'node:fs';
import path from 'node:path';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { kittiLayout } from '@sensorfuse/pointcloud';
import {
  cameraFrameSchema,
  lidarScanSchema,
  rigCalibrationSchema,
  type CameraFrame,
  type LidarScan,
  type RigCalibration,
} from '@sensorfuse/schemas';
import { DatasetFormatError } from '../errors.js';
import { contentType, invertRigid, JSON_HEADERS, mul4, pngSize, TRUTH_BOXES_TOPIC, type ImportedRecord } from './common.js';

export interface KittiImportOptions {
  /** Folder with velodyne/, image_2/, calib/ and optionally label_2/. */
  readonly dir: string;
  readonly rigId?: string;
  /**
   * The object benchmark has no timestamps: frame i gets startTimeUs + i · periodUs (default
   * 2011-09-26T00:00:00Z and 100 ms, the 10 Hz of the HDL-64E). Camera and LIDAR share the time
   * (KITTI triggers the cameras from the scanner).
   */
  readonly startTimeUs?: number;
  readonly periodUs?: number;
  /** Only these frame ids (e.g. "000000"); default every frame with a velodyne file. */
  readonly frames?: readonly string[];
}

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
const calibrationCodec = createCodec<RigCalibration>(registry, rigCalibrationSchema);

export const KITTI_DEFAULT_START_US = 1_317_000_000_000_000;

function calibRows(text: string, file: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    rows.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim().split(/\s+/).map(Number));
  }
  for (const [name, n] of [['P2', 12], ['R0_rect', 9], ['Tr_velo_to_cam', 12]] as const) {
    const row = rows.get(name);
    if (row?.length !== n || row.some((v) => !Number.isFinite(v))) {
      throw new DatasetFormatError(`${file}: expected ${name} with ${n} numbers, found ${row?.length ?? 0}`, { context: { file } });
    }
  }
  return rows;
}

/**
 * The KITTI calibration as a rig: base_link = the velodyne frame; camera cam2 (image_2) with the
 * rectified pinhole model of P2 and pose from Tr_velo_to_cam, R0_rect and P2's baseline offset.
 */
export function kittiRigCalibration(calibText: string, image: { width: number; height: number }, rigId: string, validFromUs: number, version: number, file = 'calib'): RigCalibration {
  const rows = calibRows(calibText, file);
  const P2 = rows.get('P2') ?? [];
  const R0 = rows.get('R0_rect') ?? [];
  const Tr = rows.get('Tr_velo_to_cam') ?? [];
  const p = (i: number): number => P2[i] ?? 0;
  const fx = p(0);
  const fy = p(5);
  const cx = p(2);
  const cy = p(6);
  // P2 = K [I | t]: t = K⁻¹ P2[:,3]
  const tz = p(11);
  const ty = (p(7) - cy * tz) / fy;
  const tx = (p(3) - cx * tz - p(1) * ty) / fx;
  const r = (i: number): number => R0[i] ?? 0;
  const t = (i: number): number => Tr[i] ?? 0;
  const rect = [r(0), r(1), r(2), 0, r(3), r(4), r(5), 0, r(6), r(7), r(8), 0, 0, 0, 0, 1];
  const veloToCam0 = [t(0), t(1), t(2), t(3), t(4), t(5), t(6), t(7), t(8), t(9), t(10), t(11), 0, 0, 0, 1];
  const shift = [1, 0, 0, tx, 0, 1, 0, ty, 0, 0, 1, tz, 0, 0, 0, 1];
  const veloToCam2 = mul4(shift, mul4(rect, veloToCam0));
  return {
    rigId,
    version,
    validFromUs,
    sensors: [
      {
        sensorId: 'velodyne', modality: 'lidar', frameId: 'velodyne',
        extrinsics: { parentFrameId: 'base_link', childFrameId: 'velodyne', transform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] },
        cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0,
      },
      {
        sensorId: 'cam2', modality: 'camera', frameId: 'cam2',
        // R0_rect is a rotation only up to rounding in the files; the inverse uses its transpose.
        extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam2', transform: invertRigid(veloToCam2) },
        cameraIntrinsics: { width: image.width, height: image.height, fx, fy, cx, cy, distortionModel: 'none', distortionCoefficients: [] },
        microphoneArray: null, clockOffsetUs: 0,
      },
    ],
  };
}

/**
 * KITTI object frames as records: per frame a RigCalibration (frames may come from different drives,
 * each has its own calib file: version = frame index + 1), a LidarScan on raw.lidar, a PNG
 * CameraFrame on raw.camera and, when label_2 exists, the labels as JSON on truth.boxes.
 */
export function* kittiRecords(options: KittiImportOptions): Generator<ImportedRecord> {
  const rigId = options.rigId ?? 'kitti';
  const start = options.startTimeUs ?? KITTI_DEFAULT_START_US;
  const period = options.periodUs ?? 100_000;
  const veloDir = path.join(options.dir, 'velodyne');
  if (!fs.existsSync(veloDir)) throw new DatasetFormatError(`${options.dir}: expected a velodyne/ folder (KITTI object layout)`, { context: { dir: options.dir } });
  const frames = options.frames ?? fs.readdirSync(veloDir).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();
  let index = 0;
  for (const id of frames) {
    const t = start + index * period;
    const binFile = path.join(veloDir, `${id}.bin`);
    const pngFile = path.join(options.dir, 'image_2', `${id}.png`);
    const calibFile = path.join(options.dir, 'calib', `${id}.txt`);
    const bin = fs.readFileSync(binFile);
    if (bin.length % 16 !== 0) throw new DatasetFormatError(`${binFile}: size ${bin.length} is not a multiple of 16 (float32 x, y, z, reflectance)`, { context: { file: binFile } });
    const png = fs.readFileSync(pngFile);
    const size = pngSize(png, pngFile);
    const calib = kittiRigCalibration(fs.readFileSync(calibFile, 'utf8'), size, rigId, t, index + 1, calibFile);
    yield { topic: 'calibration.rig', key: rigId, captureTimeUs: t, headers: contentType('RigCalibration'), value: calibrationCodec.encode(calib) };
    const layout = kittiLayout(bin.length / 16);
    yield {
      topic: 'raw.lidar', key: rigId, captureTimeUs: t, headers: contentType('LidarScan'),
      value: lidarCodec.encode({
        rigId, sensorId: 'velodyne', seq: index, captureTimeUs: t, publishTimeUs: t, frameId: 'velodyne',
        fields: layout.fields.map((f) => ({ name: f.name, offset: f.offset, datatype: f.datatype, count: 1 })),
        pointStride: layout.stride, pointCount: layout.count, data: bin, sweepDurationUs: period,
      }),
    };
    yield {
      topic: 'raw.camera', key: rigId, captureTimeUs: t, headers: contentType('CameraFrame'),
      value: cameraCodec.encode({ rigId, sensorId: 'cam2', seq: index, captureTimeUs: t, publishTimeUs: t, frameId: 'cam2', width: size.width, height: size.height, encoding: 'png', stride: 0, data: png }),
    };
    const labelFile = path.join(options.dir, 'label_2', `${id}.txt`);
    if (fs.existsSync(labelFile)) {
      const labels = fs.readFileSync(labelFile, 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).filter((v) => v.length >= 15).map((v) => ({
        type: v[0], truncated: Number(v[1]), occluded: Number(v[2]), alpha: Number(v[3]),
        bbox2d: v.slice(4, 8).map(Number), dimensionsHwl: v.slice(8, 11).map(Number), locationCam: v.slice(11, 14).map(Number), rotationY: Number(v[14]),
      }));
      yield { topic: TRUTH_BOXES_TOPIC, key: rigId, captureTimeUs: t, headers: JSON_HEADERS, value: Buffer.from(JSON.stringify({ captureTimeUs: t, dataset: 'kitti', frame: id, frameId: 'cam0_rect', labels })) };
    }
    index++;
  }
}
