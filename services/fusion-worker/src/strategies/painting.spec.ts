import { describe, expect, it } from 'vitest';
import { createCloud } from '@sensorfuse/pointcloud';
import type { Detection2d, RigCalibration } from '@sensorfuse/schemas';
import { resolveCalibration } from '../core/calibration.js';
import { DEFAULT_EARLY_PARAMS, earlyFusion } from './early.js';
import { PAINT_CHANNELS, PAINT_CLASSES, paintPoints } from './painting.js';

// Camera at the body origin looking along body +x: camera z = body x, camera x = −body y, camera y = −body z.
const CAM_TO_BODY = [0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1];
const calibration = resolveCalibration({
  rigId: 'rig', version: 1, validFromUs: 0,
  sensors: [
    { sensorId: 'cam', modality: 'camera', frameId: 'cam', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam', transform: CAM_TO_BODY }, cameraIntrinsics: { width: 1280, height: 720, fx: 1000, fy: 1000, cx: 640, cy: 360, distortionModel: 'none', distortionCoefficients: [] }, microphoneArray: null, clockOffsetUs: 0 },
  ],
} satisfies RigCalibration);
const camera = calibration.cameras.get('cam');
if (camera === undefined) throw new Error('camera missing');

const box = (xMin: number, yMin: number, xMax: number, yMax: number) => ({ xMin, yMin, xMax, yMax });
const detections: Detection2d[] = [
  { box: box(800, 200, 900, 300), objectClass: 'car', label: 'car', score: 0.8 },
  { box: box(600, 300, 700, 400), objectClass: 'pedestrian', label: 'person', score: 0.7 },
  { box: box(820, 250, 1000, 380), objectClass: 'car', label: 'car', score: 0.6 },
];
const channel = (c: string) => PAINT_CLASSES.indexOf(c as (typeof PAINT_CLASSES)[number]);

describe('paintPoints', () => {
  // Body points and their hand-computed pixels (u = 640 + 1000·(−y)/x, v = 360 + 1000·(−z)/x):
  //   0: (10, 0, 0)      → (640, 360)  in the pedestrian box
  //   1: (10, −2, 1)     → (840, 260)  in both car boxes: car = max(0.8, 0.6)
  //   2: (10, −2.5, 0)   → (890, 360)  only in the 0.6 car box
  //   3: (−5, 0, 0)      → behind the camera: unpainted
  //   4: (10, 10, 0)     → u = −360, outside the image: unpainted
  //   5: (20, 0, −1)     → (640, 410)  in the image, in no box
  const xs = [10, 10, 10, -5, 10, 20];
  const ys = [0, -2, -2.5, 0, 10, 0];
  const zs = [0, 1, 0, 0, 0, -1];
  const p = paintPoints(xs, ys, zs, 6, camera, detections);

  it('lands known points on the hand-computed pixels', () => {
    expect([p.u[0], p.v[0]]).toEqual([640, 360]);
    expect(p.u[1]).toBeCloseTo(840, 3);
    expect(p.v[1]).toBeCloseTo(260, 3);
    expect(p.u[2]).toBeCloseTo(890, 3);
    expect(p.v[2]).toBeCloseTo(360, 3);
    expect(p.v[5]).toBeCloseTo(410, 3);
    expect(p.depthM[5]).toBeCloseTo(20, 5);
    expect([...p.inImage]).toEqual([1, 1, 1, 0, 0, 1]);
  });

  it('gives each point the highest score per class of the boxes it falls in, and nothing outside', () => {
    const score = (i: number, c: string) => p.scores[i * PAINT_CHANNELS + channel(c)];
    expect(score(0, 'pedestrian')).toBeCloseTo(0.7, 6);
    expect(score(0, 'car')).toBe(0);
    expect(score(1, 'car')).toBeCloseTo(0.8, 6);
    expect(score(1, 'pedestrian')).toBe(0);
    expect(score(2, 'car')).toBeCloseTo(0.6, 6);
    for (const i of [3, 4, 5]) expect([...p.scores.subarray(i * PAINT_CHANNELS, (i + 1) * PAINT_CHANNELS)].every((s) => s === 0)).toBe(true);
  });
});

describe('earlyFusion', () => {
  it('clusters painted points and classifies each cluster from its paint, or from its shape when unpainted', () => {
    // A 4 × 1.8 × 1.5 m block of points 15 m ahead (projects into the centre of the image, painted "car" by a
    // box covering the image centre) and a 0.5 × 0.5 × 1.7 m column 15 m behind (never painted: pedestrian by shape).
    const pts: [number, number, number][] = [];
    for (let i = 0; i <= 8; i++) for (let j = 0; j <= 4; j++) for (let k = 0; k <= 3; k++) pts.push([13 + i * 0.5, -0.9 + j * 0.45, -0.5 + k * 0.5]);
    for (let j = 0; j <= 2; j++) for (let k = 0; k <= 6; k++) pts.push([-15, -0.25 + j * 0.25, -0.8 + k * 0.28]);
    const cloud = createCloud(pts.length);
    pts.forEach(([x, y, z], i) => { cloud.x[i] = x; cloud.y[i] = y; cloud.z[i] = z; });
    const sized = { ...cloud, length: pts.length };
    const painted = paintPoints(sized.x, sized.y, sized.z, sized.length, camera, [{ box: box(300, 100, 980, 620), objectClass: 'car', label: 'car', score: 0.9 }]);
    const objects = earlyFusion(sized, painted, DEFAULT_EARLY_PARAMS).sort((a, b) => b.x - a.x);
    expect(objects).toHaveLength(2);
    const [car, ped] = objects;
    expect(car?.objectClass).toBe('car');
    expect(car?.score).toBeCloseTo(0.9, 5);
    expect(car?.x).toBeCloseTo(15, 1);
    expect(ped?.objectClass).toBe('pedestrian');
    expect(ped?.inImageFraction).toBe(0);
    // Unpainted: the LIDAR-only score scaled by 21 of 50 points.
    expect(ped?.score).toBeCloseTo(0.6 * 21 / 50, 5);
  });
});
