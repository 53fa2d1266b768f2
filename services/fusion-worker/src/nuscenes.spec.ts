import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { firstValueFrom, from, queueScheduler, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { alignByPivot, type AlignedFrame, type InputRecord } from '@sensorfuse/align';
import type { CameraDetections, LidarObjects, ObjectClass, RigCalibration, SensorCalibration } from '@sensorfuse/schemas';
import { projectIntoCamera, type BodyBox } from './core/associate.js';
import { resolveCalibration } from './core/calibration.js';
import { applyTransform, invertRigid, iou, transformFrom } from './core/geometry.js';
import { DEFAULT_FUSION_PARAMS } from './core/params.js';
import type { FusionPayload } from './core/types.js';
import { createFusionState, update } from './core/update.js';
import { DATA_DIR, header } from './real-data.spec-helper.js';

const DIR = path.join(DATA_DIR, 'nuscenes-sample');
const hasSample = existsSync(path.join(DIR, 'sample.json'));

interface Sample {
  metainfo: { categories: Record<string, number> };
  data_list: {
    images: Record<string, { img_path: string; cam2img: number[][]; lidar2cam: number[][]; cam2ego: number[][] }>;
    lidar_points: { lidar_path: string; lidar2ego: number[][] };
    instances: { bbox_3d: number[]; bbox_label_3d: number }[];
    cam_instances: Record<string, { bbox: number[]; bbox_3d: number[]; bbox_label_3d: number }[]>;
  }[];
}

const CLASS: Readonly<Record<string, ObjectClass>> = {
  car: 'car', truck: 'truck', trailer: 'truck', bus: 'bus', construction_vehicle: 'truck', bicycle: 'cyclist',
  motorcycle: 'motorcyclist', pedestrian: 'pedestrian', traffic_cone: 'other', barrier: 'other',
};
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const flat = (m: number[][]) => m.flat();

function load() {
  const sample = JSON.parse(readFileSync(path.join(DIR, 'sample.json'), 'utf8')) as Sample;
  const s = sample.data_list[0];
  if (s === undefined) throw new Error('sample.json has no data_list[0]');
  const names = Object.fromEntries(Object.entries(sample.metainfo.categories).map(([k, v]) => [v, k]));
  // Capture times in µs, exact in the file names (sample.json has float seconds).
  const timeOf = (file: string) => Number(/__(\d+)\.(jpg|pcd\.bin)$/.exec(file)?.[1]);
  return { s, names, timeOf };
}

/** Body = LIDAR frame; each camera placed with the inverse of the sample's lidar2cam (which already folds in the ego motion between the two capture times). */
function calibrationFromLidar2Cam(s: Sample['data_list'][number]): RigCalibration {
  const cams: SensorCalibration[] = Object.entries(s.images).map(([name, im]) => ({
    sensorId: name, modality: 'camera', frameId: name,
    extrinsics: { parentFrameId: 'LIDAR_TOP', childFrameId: name, transform: Array.from(invertRigid(transformFrom(flat(im.lidar2cam)))) },
    cameraIntrinsics: { width: 1600, height: 900, fx: im.cam2img[0]?.[0] ?? 0, fy: im.cam2img[1]?.[1] ?? 0, cx: im.cam2img[0]?.[2] ?? 0, cy: im.cam2img[1]?.[2] ?? 0, distortionModel: 'none', distortionCoefficients: [] },
    microphoneArray: null, clockOffsetUs: 0,
  }));
  const lidar: SensorCalibration = { sensorId: 'LIDAR_TOP', modality: 'lidar', frameId: 'LIDAR_TOP', extrinsics: { parentFrameId: 'LIDAR_TOP', childFrameId: 'LIDAR_TOP', transform: IDENTITY }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 };
  return { rigId: 'rig', version: 1, validFromUs: 0, sensors: [lidar, ...cams] };
}

/** Annotated boxes as body boxes (bbox_3d z is the box centre, as the 2D annotations confirm). */
function boxesOf(s: Sample['data_list'][number]): BodyBox[] {
  return s.instances.map(({ bbox_3d: [x = 0, y = 0, z = 0, dx = 0, dy = 0, dz = 0, yaw = 0] }) => ({ x, y, z, length: dx, width: dy, height: dz, yawRad: yaw }));
}

/** Which annotated 3D box a camera annotation belongs to: the one whose centre, moved by lidar2cam, is its bbox_3d (independent of projection). */
function instanceOf(s: Sample['data_list'][number], camera: string, camBox3d: number[]): number {
  const t = transformFrom(flat(s.images[camera]?.lidar2cam ?? []));
  const p = new Float64Array(3);
  let best = -1;
  let bestD = 0.05;
  s.instances.forEach(({ bbox_3d: b }, i) => {
    applyTransform(t, b[0] ?? 0, b[1] ?? 0, b[2] ?? 0, p);
    const d = Math.hypot((p[0] ?? 0) - (camBox3d[0] ?? 0), (p[1] ?? 0) - (camBox3d[1] ?? 0), (p[2] ?? 0) - (camBox3d[2] ?? 0));
    if (d < bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

describe('nuScenes sample: projection and alignment of six cameras', () => {
  it('projects the 69 annotated 3D boxes onto the annotated 2D boxes of the six cameras', () => {
    if (!hasSample) {
      console.warn('skipped: ../shared/data/nuscenes-sample absent');
      return;
    }
    const { s } = load();
    expect(s.instances).toHaveLength(69);
    const calibration = resolveCalibration(calibrationFromLidar2Cam(s));
    const boxes = boxesOf(s);
    const ious: number[] = [];
    const perCamera: string[] = [];
    for (const [name, annotations] of Object.entries(s.cam_instances)) {
      const camera = calibration.cameras.get(name);
      if (camera === undefined) throw new Error(`no camera ${name}`);
      const projection = projectIntoCamera(boxes, camera, 0, { vxBody: 0, vyBody: 0, yawRateRadS: 0 });
      const camIous: number[] = [];
      for (const a of annotations) {
        const i = instanceOf(s, name, a.bbox_3d);
        expect(i, `annotation in ${name} without its 3D box`).toBeGreaterThanOrEqual(0);
        const projected = projection.boxes[i];
        const [xMin = 0, yMin = 0, xMax = 0, yMax = 0] = a.bbox;
        camIous.push(projected === undefined ? 0 : iou(projected, { xMin, yMin, xMax, yMax }));
      }
      ious.push(...camIous);
      perCamera.push(`${name}: ${camIous.length} boxes, mean IoU ${(camIous.reduce((x, y) => x + y, 0) / camIous.length).toFixed(4)}, min ${Math.min(...camIous).toFixed(4)}`);
    }
    const mean = ious.reduce((x, y) => x + y, 0) / ious.length;
    console.info(`nuScenes: ${ious.length} annotated 2D boxes, mean IoU of the projected 3D boxes ${mean.toFixed(4)}\n${perCamera.join('\n')}`);
    expect(ious.length).toBe(84);
    expect(mean).toBeGreaterThan(0.9);
  });

  it('aligns all six cameras (0.5–43 ms before the sweep) to the LIDAR pivot and matches their boxes to the right objects', async () => {
    if (!hasSample) {
      console.warn('skipped: ../shared/data/nuscenes-sample absent');
      return;
    }
    const { s, names, timeOf } = load();
    const lidarTimeUs = timeOf(s.lidar_points.lidar_path);
    const files = readdirSync(DIR);
    const lidar: LidarObjects = {
      ...header('LIDAR_TOP', 1, lidarTimeUs, 'LIDAR_TOP'),
      objects: boxesOf(s).map((b, k) => ({
        clusterId: k, centroid: { x: b.x, y: b.y, z: b.z }, extent: { x: b.length, y: b.width, z: b.height }, yawRad: b.yawRad,
        pointCount: 100, meanIntensity: 0, classHint: 'unknown',
      })),
      inputPointCount: 34_688, noiseFraction: 0, reliability: 0.9,
    };
    const records: InputRecord<FusionPayload>[] = [];
    const expectedOffsets: Record<string, number> = {};
    const truth: { camera: string; detection: number; instance: number }[] = [];
    for (const [name, im] of Object.entries(s.images)) {
      const t = timeOf(im.img_path);
      expect(files).toContain(im.img_path);
      expectedOffsets[`camera:${name}`] = t - lidarTimeUs;
      const annotations = s.cam_instances[name] ?? [];
      annotations.forEach((a, j) => truth.push({ camera: name, detection: j, instance: instanceOf(s, name, a.bbox_3d) }));
      const value: CameraDetections = {
        ...header(name, 1, t, name), imageWidth: 1600, imageHeight: 900,
        detections: annotations.map((a) => {
          const [xMin = 0, yMin = 0, xMax = 0, yMax = 0] = a.bbox;
          return { box: { xMin, yMin, xMax, yMax }, objectClass: CLASS[names[a.bbox_label_3d] ?? ''] ?? 'unknown', label: names[a.bbox_label_3d] ?? '', score: 0.9 };
        }),
        quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'nuscenes-annotations',
      };
      records.push({ input: `camera:${name}`, record: { sensorId: name, seq: 1, captureTimeUs: t, payload: { kind: 'camera', value } } });
    }
    // Cameras arrive first (they were captured first), then the sweep.
    records.push({ input: 'lidar', record: { sensorId: 'LIDAR_TOP', seq: 1, captureTimeUs: lidarTimeUs, payload: { kind: 'lidar', value: lidar } } });
    const frames: AlignedFrame<FusionPayload>[] = await firstValueFrom(
      from(records).pipe(
        alignByPivot<FusionPayload>({
          pivot: { name: 'lidar' },
          inputs: Object.keys(s.images).map((name) => ({ name: `camera:${name}`, select: 'nearest' as const, matchWindowUs: 50_000 })),
        }, queueScheduler),
        toArray(),
      ),
    );
    expect(frames).toHaveLength(1);
    const frame = frames[0];
    if (frame === undefined) throw new Error('no aligned frame');
    for (const [input, offset] of Object.entries(expectedOffsets)) {
      expect(frame.presence[input], input).toBe('present');
      const member = frame.members[input];
      expect(member?.select === 'nearest' ? member.offsetFromPivotUs : undefined, input).toBe(offset);
    }
    const offsetsMs = Object.values(expectedOffsets).map((o) => -o / 1000);
    expect(Math.min(...offsetsMs)).toBeLessThan(1);
    expect(Math.max(...offsetsMs)).toBeGreaterThan(40);

    const calibration = resolveCalibration(calibrationFromLidar2Cam(s));
    const correctWith = (minVisibleFraction: number) => {
      const { output } = update(frame, calibration, createFusionState('rig'), { params: { ...DEFAULT_FUSION_PARAMS, minVisibleFraction }, nowUs: lidarTimeUs });
      expect(output.presentModalities).toContain('camera');
      expect(output.missingModalities).toEqual([]);
      // An annotated 2D box counts when it ended up as camera evidence on its own 3D box.
      return truth.filter(({ camera, instance }) => output.detections[instance]?.evidence.some((e) => e.modality === 'camera' && e.sensorId === camera) === true).length;
    };
    // Occlusion check off: projection + Hungarian alone must pair every annotated box with its own object.
    const all = correctWith(0);
    // Default: objects hidden behind nearer ones (nuScenes annotates amodal boxes, even with 1 LIDAR point) are left out.
    const visible = correctWith(DEFAULT_FUSION_PARAMS.minVisibleFraction);
    console.info(`nuScenes association: ${all}/${truth.length} annotated camera boxes on their own 3D box without the occlusion check, ${visible}/${truth.length} with it; camera offsets (ms before the sweep): ${offsetsMs.map((o) => o.toFixed(1)).join(', ')}`);
    expect(all).toBe(truth.length);
    expect(visible / truth.length).toBeGreaterThanOrEqual(0.8);
  });
});
