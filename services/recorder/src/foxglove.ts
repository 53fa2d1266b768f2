import * as foxgloveSchemas from '@foxglove/schemas/jsonschema.js';
import { createCodec, type Codec } from '@sensorfuse/codec';
import {
  cameraFrameSchema,
  fusedDetectionsSchema,
  lidarScanSchema,
  rigCalibrationSchema,
  type CameraFrame,
  type FusedDetections,
  type LidarScan,
  type PointFieldDatatype,
  type RigCalibration,
} from '@sensorfuse/schemas';
import type { SchemaCatalog } from './catalog.js';

/** One Foxglove-schema message derived from a recorded record (JSON encoding). */
export interface FoxgloveMessage {
  readonly topic: string;
  /** e.g. "foxglove.PointCloud". */
  readonly schemaName: string;
  readonly schema: object;
  readonly message: object;
}

export const FOXGLOVE_TOPIC_PREFIX = '/foxglove';

const NUMERIC_TYPE: Record<PointFieldDatatype, number> = { uint8: 1, int8: 2, uint16: 3, int16: 4, uint32: 5, int32: 6, float32: 7, float64: 8 };
const RAW_ENCODING: Record<string, string> = { rgb8: 'rgb8', bgr8: 'bgr8', gray8: 'mono8' };

function stamp(us: number): { sec: number; nsec: number } {
  const sec = Math.floor(us / 1e6);
  return { sec, nsec: (us - sec * 1e6) * 1000 };
}

/** Quaternion of the rotation part of a row-major 4×4 matrix (Shepperd's method). */
export function quaternionOf(m: readonly number[]): { x: number; y: number; z: number; w: number } {
  const g = (r: number, c: number): number => m[r * 4 + c] ?? 0;
  const trace = g(0, 0) + g(1, 1) + g(2, 2);
  let x: number, y: number, z: number, w: number;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    w = s / 4; x = (g(2, 1) - g(1, 2)) / s; y = (g(0, 2) - g(2, 0)) / s; z = (g(1, 0) - g(0, 1)) / s;
  } else if (g(0, 0) > g(1, 1) && g(0, 0) > g(2, 2)) {
    const s = Math.sqrt(1 + g(0, 0) - g(1, 1) - g(2, 2)) * 2;
    w = (g(2, 1) - g(1, 2)) / s; x = s / 4; y = (g(0, 1) + g(1, 0)) / s; z = (g(0, 2) + g(2, 0)) / s;
  } else if (g(1, 1) > g(2, 2)) {
    const s = Math.sqrt(1 + g(1, 1) - g(0, 0) - g(2, 2)) * 2;
    w = (g(0, 2) - g(2, 0)) / s; x = (g(0, 1) + g(1, 0)) / s; y = s / 4; z = (g(1, 2) + g(2, 1)) / s;
  } else {
    const s = Math.sqrt(1 + g(2, 2) - g(0, 0) - g(1, 1)) * 2;
    w = (g(1, 0) - g(0, 1)) / s; x = (g(0, 2) + g(2, 0)) / s; y = (g(1, 2) + g(2, 1)) / s; z = s / 4;
  }
  const n = Math.hypot(x, y, z, w);
  return { x: x / n, y: y / n, z: z / n, w: w / n };
}

/**
 * Derives Foxglove visual messages (foxglove.PointCloud, CompressedImage / RawImage, FrameTransforms
 * and CameraCalibration, SceneUpdate) from Sensorfuse records, so a recording opens with a 3D view
 * in Foxglove or Lichtblick. JSON message encoding with the jsonschema definitions of
 * @foxglove/schemas; bytes as base64, as that encoding requires.
 */
export class FoxgloveConverter {
  readonly #lidar: Codec<LidarScan>;
  readonly #camera: Codec<CameraFrame>;
  readonly #calibration: Codec<RigCalibration>;
  readonly #fused: Codec<FusedDetections>;

  constructor(catalog: SchemaCatalog) {
    this.#lidar = createCodec<LidarScan>(catalog.registry, lidarScanSchema, { bytes: 'view' });
    this.#camera = createCodec<CameraFrame>(catalog.registry, cameraFrameSchema, { bytes: 'view' });
    this.#calibration = createCodec<RigCalibration>(catalog.registry, rigCalibrationSchema);
    this.#fused = createCodec<FusedDetections>(catalog.registry, fusedDetectionsSchema);
  }

  /** Foxglove messages for a record of the given writer schema name (none for other schemas). */
  convert(schemaName: string, value: Buffer): FoxgloveMessage[] {
    switch (schemaName) {
      case 'sensorfuse.LidarScan': {
        const s = this.#lidar.decode(value);
        return [{
          topic: `${FOXGLOVE_TOPIC_PREFIX}/${s.sensorId}`, schemaName: 'foxglove.PointCloud', schema: foxgloveSchemas.PointCloud,
          message: {
            timestamp: stamp(s.captureTimeUs), frame_id: s.frameId,
            pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
            point_stride: s.pointStride,
            fields: s.fields.filter((f) => f.count === 1).map((f) => ({ name: f.name, offset: f.offset, type: NUMERIC_TYPE[f.datatype] })),
            data: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString('base64'),
          },
        }];
      }
      case 'sensorfuse.CameraFrame': {
        const f = this.#camera.decode(value);
        const data = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64');
        if (f.encoding === 'jpeg' || f.encoding === 'png') {
          return [{ topic: `${FOXGLOVE_TOPIC_PREFIX}/${f.sensorId}/image`, schemaName: 'foxglove.CompressedImage', schema: foxgloveSchemas.CompressedImage, message: { timestamp: stamp(f.captureTimeUs), frame_id: f.frameId, data, format: f.encoding } }];
        }
        return [{ topic: `${FOXGLOVE_TOPIC_PREFIX}/${f.sensorId}/image`, schemaName: 'foxglove.RawImage', schema: foxgloveSchemas.RawImage, message: { timestamp: stamp(f.captureTimeUs), frame_id: f.frameId, width: f.width, height: f.height, encoding: RAW_ENCODING[f.encoding] ?? f.encoding, step: f.stride, data } }];
      }
      case 'sensorfuse.RigCalibration': {
        const c = this.#calibration.decode(value);
        const ts = stamp(c.validFromUs);
        const out: FoxgloveMessage[] = [{
          topic: `${FOXGLOVE_TOPIC_PREFIX}/tf`, schemaName: 'foxglove.FrameTransforms', schema: foxgloveSchemas.FrameTransforms,
          message: {
            transforms: c.sensors.map((s) => {
              const m = s.extrinsics.transform;
              return { timestamp: ts, parent_frame_id: s.extrinsics.parentFrameId, child_frame_id: s.extrinsics.childFrameId, translation: { x: m[3] ?? 0, y: m[7] ?? 0, z: m[11] ?? 0 }, rotation: quaternionOf(m) };
            }),
          },
        }];
        for (const s of c.sensors) {
          const k = s.cameraIntrinsics;
          if (!k) continue;
          out.push({
            topic: `${FOXGLOVE_TOPIC_PREFIX}/${s.sensorId}/calibration`, schemaName: 'foxglove.CameraCalibration', schema: foxgloveSchemas.CameraCalibration,
            message: {
              timestamp: ts, frame_id: s.frameId, width: k.width, height: k.height,
              distortion_model: k.distortionModel === 'none' ? 'plumb_bob' : k.distortionModel,
              D: k.distortionModel === 'none' ? [0, 0, 0, 0, 0] : k.distortionCoefficients,
              K: [k.fx, 0, k.cx, 0, k.fy, k.cy, 0, 0, 1],
              R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
              P: [k.fx, 0, k.cx, 0, 0, k.fy, k.cy, 0, 0, 0, 1, 0],
            },
          });
        }
        return out;
      }
      case 'sensorfuse.FusedDetections': {
        const d = this.#fused.decode(value);
        const ts = stamp(d.captureTimeUs);
        return [{
          topic: `${FOXGLOVE_TOPIC_PREFIX}/tracks`, schemaName: 'foxglove.SceneUpdate', schema: foxgloveSchemas.SceneUpdate,
          message: {
            deletions: [{ timestamp: ts, type: 1, id: '' }],
            entities: d.tracks.map((t) => {
              const pose = { position: t.position, orientation: { x: 0, y: 0, z: Math.sin(t.yawRad / 2), w: Math.cos(t.yawRad / 2) } };
              const color = t.state === 'confirmed' ? { r: 0.1, g: 0.8, b: 0.2, a: 0.6 } : { r: 0.9, g: 0.7, b: 0.1, a: 0.4 };
              return {
                timestamp: ts, frame_id: d.frameId, id: String(t.trackId), lifetime: { sec: 0, nsec: 0 }, frame_locked: false,
                metadata: [{ key: 'class', value: t.objectClass }, { key: 'score', value: t.score.toFixed(2) }],
                arrows: [], cubes: [{ pose, size: t.extent, color }], spheres: [], cylinders: [], lines: [], triangles: [], models: [],
                texts: [{ pose, billboard: true, font_size: 14, scale_invariant: true, color: { r: 1, g: 1, b: 1, a: 1 }, text: `${t.objectClass} #${String(t.trackId)}` }],
              };
            }),
          },
        }];
      }
      default:
        return [];
    }
  }
}
