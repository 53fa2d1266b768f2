import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countPointsInLabel, labelCenterVelo, parseKittiCalib, parseKittiLabels, processScan, readKittiBin,
  type ClassHint,
} from '@sensorfuse/pointcloud';
import type { CameraDetections, LidarObjects, ObjectClass, RigCalibration } from '@sensorfuse/schemas';
import { resolveCalibration } from './core/calibration.js';
import { composeTransforms, invertRigid } from './core/geometry.js';
import { DEFAULT_FUSION_PARAMS } from './core/params.js';
import { createFusionState, update } from './core/update.js';
import { DATA_DIR, T0, frameOf, header } from './real-data.spec-helper.js';

const KITTI = path.join(DATA_DIR, 'kitti');
const hasKitti = existsSync(path.join(KITTI, 'velodyne', '000000.bin'));

const LABEL_CLASS: Readonly<Record<string, ObjectClass>> = {
  Car: 'car', Van: 'car', Truck: 'truck', Pedestrian: 'pedestrian', Person_sitting: 'pedestrian', Cyclist: 'cyclist', Tram: 'bus', Misc: 'other',
};

function hintClass(hint: ClassHint, length: number): ObjectClass {
  if (hint === 'vehicle') return length >= 6.5 ? 'truck' : 'car';
  return hint;
}

/** KITTI camera 2 as a rig calibration with the velodyne as body frame (P2's baseline shift included). */
function rigCalibration(calibText: string, width: number, height: number): RigCalibration {
  const calib = parseKittiCalib(calibText);
  const p2 = calibText.split('\n').find((l) => l.startsWith('P2:'))?.slice(3).trim().split(/\s+/).map(Number) ?? [];
  const [fx = 0, , cx = 0, p03 = 0, , fy = 0, cy = 0, p13 = 0] = p2;
  const T = calib.TrVeloToCam;
  const R = calib.R0Rect;
  const veloToRef = Float64Array.from([...T.slice(0, 4), ...T.slice(4, 8), ...T.slice(8, 12), 0, 0, 0, 1]);
  const rect = Float64Array.from([R[0] ?? 0, R[1] ?? 0, R[2] ?? 0, 0, R[3] ?? 0, R[4] ?? 0, R[5] ?? 0, 0, R[6] ?? 0, R[7] ?? 0, R[8] ?? 0, 0, 0, 0, 0, 1]);
  const shift = Float64Array.from([1, 0, 0, p03 / fx, 0, 1, 0, p13 / fy, 0, 0, 1, 0, 0, 0, 0, 1]);
  const veloToCam2 = composeTransforms(shift, composeTransforms(rect, veloToRef));
  return {
    rigId: 'rig', version: 1, validFromUs: 0,
    sensors: [
      { sensorId: 'velodyne', modality: 'lidar', frameId: 'velodyne', extrinsics: { parentFrameId: 'velodyne', childFrameId: 'velodyne', transform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 },
      {
        sensorId: 'image_2', modality: 'camera', frameId: 'image_2',
        extrinsics: { parentFrameId: 'velodyne', childFrameId: 'image_2', transform: Array.from(invertRigid(veloToCam2)) },
        cameraIntrinsics: { width, height, fx, fy, cx, cy, distortionModel: 'none', distortionCoefficients: [] },
        microphoneArray: null, clockOffsetUs: 0,
      },
    ],
  };
}

function pngSize(bytes: Buffer): [number, number] {
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('fusion on KITTI (label 2D boxes as the camera, our LIDAR clusters)', () => {
  it('finds ≥ 80 % of labelled objects within 40 m with ≥ 50 points within 1 m and with the right class', () => {
    if (!hasKitti) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    let eligible = 0;
    let found = 0;
    const lines: string[] = [];
    for (const [i, id] of ['000000', '000001'].entries()) {
      const calibText = readFileSync(path.join(KITTI, 'calib', `${id}.txt`), 'utf8');
      const [width, height] = pngSize(readFileSync(path.join(KITTI, 'image_2', `${id}.png`)));
      const calibration = resolveCalibration(rigCalibration(calibText, width, height));
      const labelText = readFileSync(path.join(KITTI, 'label_2', `${id}.txt`), 'utf8');
      // parseKittiLabels keeps the 3D box; the 2D box (fields 4–7) is read here, line for line.
      const boxes = labelText.split('\n').map((line) => line.trim().split(/\s+/)).filter((t) => t.length >= 15).map((t) => t.slice(4, 8).map(Number));
      const labels = parseKittiLabels(labelText).map((l, k) => ({ ...l, bbox: boxes[k] ?? [0, 0, 0, 0] })).filter((l) => l.type !== 'DontCare');
      const cloud = readKittiBin(new Uint8Array(readFileSync(path.join(KITTI, 'velodyne', `${id}.bin`))));
      const scan = processScan(cloud);
      const t = T0 + i * 100_000;
      const lidar: LidarObjects = {
        ...header('velodyne', i, t, 'velodyne'),
        objects: scan.objects.map((b, k) => ({
          clusterId: k, centroid: { x: b.centerX, y: b.centerY, z: b.centerZ }, extent: { x: b.length, y: b.width, z: b.height },
          yawRad: b.yaw, pointCount: b.pointCount, meanIntensity: b.meanIntensity, classHint: hintClass(b.classHint, b.length),
        })),
        inputPointCount: cloud.length, noiseFraction: scan.noiseFraction, reliability: scan.reliability,
      };
      const camera: CameraDetections = {
        ...header('image_2', i, t, 'image_2'), imageWidth: width, imageHeight: height,
        detections: labels.map((l) => ({
          box: { xMin: l.bbox[0] ?? 0, yMin: l.bbox[1] ?? 0, xMax: l.bbox[2] ?? 0, yMax: l.bbox[3] ?? 0 },
          objectClass: LABEL_CLASS[l.type] ?? 'unknown', label: l.type, score: 0.9,
        })),
        quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'kitti-labels',
      };
      // Each frame on its own: the two KITTI frames are different scenes.
      const { output } = update(frameOf(lidar, [camera]), calibration, createFusionState('rig'), { params: DEFAULT_FUSION_PARAMS, nowUs: t });
      const kitti = parseKittiCalib(calibText);
      for (const l of labels) {
        const [x, y] = labelCenterVelo(kitti, l);
        const range = Math.hypot(x, y);
        const points = countPointsInLabel(kitti, l, cloud);
        if (range > 40 || points < 50) continue;
        eligible++;
        const hit = output.tracks.find((tr) => Math.hypot(tr.position.x - x, tr.position.y - y) <= 1 && tr.objectClass === LABEL_CLASS[l.type]);
        if (hit !== undefined) found++;
        lines.push(`${id} ${l.type} at ${range.toFixed(1)} m, ${points} points: ${hit === undefined ? 'missed' : `track ${hit.trackId} ${hit.objectClass} ${Math.hypot(hit.position.x - x, hit.position.y - y).toFixed(2)} m [${hit.contributingModalities.join('+')}]`}`);
      }
    }
    console.info(`KITTI: ${found}/${eligible} eligible objects fused within 1 m with the right class\n${lines.join('\n')}`);
    expect(eligible).toBeGreaterThan(0);
    expect(found / eligible).toBeGreaterThanOrEqual(0.8);
  });
});
