import fs from 'node:fs';
import path from 'node:path';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { nuscenesLayout } from '@sensorfuse/pointcloud';
import {
  cameraFrameSchema,
  lidarScanSchema,
  rigCalibrationSchema,
  type CameraFrame,
  type LidarScan,
  type RigCalibration,
  type SensorCalibration,
} from '@sensorfuse/schemas';
import { DatasetFormatError } from '../errors.js';
import { contentType, JSON_HEADERS, jpegSize, TRUTH_BOXES_TOPIC, type ImportedRecord } from './common.js';

export interface NuscenesImportOptions {
  /** Folder with sample.json (mmdetection3d info layout) and the files it names. */
  readonly dir: string;
  readonly rigId?: string;
}

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
const calibrationCodec = createCodec<RigCalibration>(registry, rigCalibrationSchema);

interface InfoImage { img_path: string; cam2img: number[][]; cam2ego: number[][] }
interface InfoSample {
  images: Record<string, InfoImage>;
  lidar_points: { lidar_path: string; lidar2ego: number[][]; num_pts_feats?: number };
  ego2global?: number[][];
  instances?: { bbox_3d: number[]; bbox_label_3d: number; velocity?: (number | null)[]; num_lidar_pts?: number; bbox_3d_isvalid?: boolean }[];
}
interface Info { metainfo?: { categories?: Record<string, number> }; data_list: InfoSample[] }

/** Capture time in microseconds from a nuScenes file name (`…__CAM_FRONT__1532402927612460.jpg`). */
export function nuscenesTimeUs(fileName: string): number {
  const m = /__(\d{16})\.(?:jpg|pcd\.bin)$/.exec(path.basename(fileName));
  if (!m?.[1]) throw new DatasetFormatError(`${fileName}: expected a nuScenes file name ending in __<16-digit µs>.jpg or .pcd.bin`, { context: { file: fileName } });
  return Number(m[1]);
}

function flat4(m: number[][] | undefined, what: string): number[] {
  const out = (m ?? []).flat();
  if (out.length !== 16 || out.some((v) => !Number.isFinite(v))) throw new DatasetFormatError(`sample.json: expected a 4x4 matrix for ${what}`);
  return out;
}

function sensorIdOf(channel: string): string {
  return channel.toLowerCase();
}

/**
 * One nuScenes sample as records: the rig calibration (base_link = ego; LIDAR_TOP from lidar2ego,
 * cameras from cam2ego and cam2img, undistorted images so no distortion), the LIDAR sweep, the six
 * camera JPEGs with the capture times of their file names, and the 3D boxes as JSON ground truth
 * (LIDAR frame, at the sweep's time). Records are in capture time order.
 */
export function* nuscenesRecords(options: NuscenesImportOptions): Generator<ImportedRecord> {
  const rigId = options.rigId ?? 'nuscenes';
  const infoFile = path.join(options.dir, 'sample.json');
  if (!fs.existsSync(infoFile)) throw new DatasetFormatError(`${options.dir}: expected sample.json`, { context: { dir: options.dir } });
  const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as Info;
  const labels = new Map(Object.entries(info.metainfo?.categories ?? {}).map(([name, id]) => [id, name]));
  let seq = 0;
  for (const sample of info.data_list) {
    const lidarFile = path.join(options.dir, path.basename(sample.lidar_points.lidar_path));
    const lidarUs = nuscenesTimeUs(lidarFile);
    const cameras = Object.entries(sample.images).map(([channel, img]) => {
      const file = path.join(options.dir, path.basename(img.img_path));
      return { channel, img, file, timeUs: nuscenesTimeUs(file) };
    });
    const firstUs = Math.min(lidarUs, ...cameras.map((c) => c.timeUs));
    const out: ImportedRecord[] = [];
    const jpegs = new Map<string, { data: Buffer; width: number; height: number }>();
    for (const c of cameras) {
      const data = fs.readFileSync(c.file);
      jpegs.set(c.channel, { data, ...jpegSize(data, c.file) });
    }
    const sensors: SensorCalibration[] = [
      {
        sensorId: 'lidar_top', modality: 'lidar', frameId: 'lidar_top',
        extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar_top', transform: flat4(sample.lidar_points.lidar2ego, 'lidar2ego') },
        cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0,
      },
      ...cameras.map((c): SensorCalibration => {
        const K = c.img.cam2img.flat();
        const j = jpegs.get(c.channel);
        return {
          sensorId: sensorIdOf(c.channel), modality: 'camera', frameId: sensorIdOf(c.channel),
          extrinsics: { parentFrameId: 'base_link', childFrameId: sensorIdOf(c.channel), transform: flat4(c.img.cam2ego, `${c.channel} cam2ego`) },
          cameraIntrinsics: { width: j?.width ?? 0, height: j?.height ?? 0, fx: K[0] ?? 0, fy: K[4] ?? 0, cx: K[2] ?? 0, cy: K[5] ?? 0, distortionModel: 'none', distortionCoefficients: [] },
          microphoneArray: null, clockOffsetUs: 0,
        };
      }),
    ];
    out.push({ topic: 'calibration.rig', key: rigId, captureTimeUs: firstUs, headers: contentType('RigCalibration'), value: calibrationCodec.encode({ rigId, version: seq + 1, validFromUs: firstUs, sensors }) });
    const bin = fs.readFileSync(lidarFile);
    if (bin.length % 20 !== 0) throw new DatasetFormatError(`${lidarFile}: size ${bin.length} is not a multiple of 20 (float32 x, y, z, intensity, ring)`, { context: { file: lidarFile } });
    const layout = nuscenesLayout(bin.length / 20);
    const fields = layout.fields.map((f) => ({ name: f.name, offset: f.offset, datatype: f.datatype, count: 1 }));
    // The ring index is stored as a float32 in .pcd.bin: describe the bytes as they are.
    if (!fields.some((f) => f.name === 'ring')) fields.push({ name: 'ring', offset: 16, datatype: 'float32', count: 1 });
    out.push({
      topic: 'raw.lidar', key: rigId, captureTimeUs: lidarUs, headers: contentType('LidarScan'),
      value: lidarCodec.encode({ rigId, sensorId: 'lidar_top', seq, captureTimeUs: lidarUs, publishTimeUs: lidarUs, frameId: 'lidar_top', fields, pointStride: 20, pointCount: layout.count, data: bin, sweepDurationUs: null }),
    });
    for (const c of cameras) {
      const j = jpegs.get(c.channel);
      if (!j) continue;
      out.push({
        topic: 'raw.camera', key: rigId, captureTimeUs: c.timeUs, headers: contentType('CameraFrame'),
        value: cameraCodec.encode({ rigId, sensorId: sensorIdOf(c.channel), seq, captureTimeUs: c.timeUs, publishTimeUs: c.timeUs, frameId: sensorIdOf(c.channel), width: j.width, height: j.height, encoding: 'jpeg', stride: 0, data: j.data }),
      });
    }
    const boxes = (sample.instances ?? []).map((b) => ({
      label: labels.get(b.bbox_label_3d) ?? String(b.bbox_label_3d),
      x: b.bbox_3d[0], y: b.bbox_3d[1], z: b.bbox_3d[2], dx: b.bbox_3d[3], dy: b.bbox_3d[4], dz: b.bbox_3d[5], yaw: b.bbox_3d[6],
      velocity: b.velocity ?? null, lidarPoints: b.num_lidar_pts ?? null, valid: b.bbox_3d_isvalid ?? true,
    }));
    out.push({ topic: TRUTH_BOXES_TOPIC, key: rigId, captureTimeUs: lidarUs, headers: JSON_HEADERS, value: Buffer.from(JSON.stringify({ captureTimeUs: lidarUs, dataset: 'nuscenes', frameId: 'lidar_top', boxes })) });
    // calibration first, then capture order
    const [cal, ...rest] = out;
    if (cal) yield cal;
    yield* rest.sort((a, b) => a.captureTimeUs - b.captureTimeUs);
    seq++;
  }
}
