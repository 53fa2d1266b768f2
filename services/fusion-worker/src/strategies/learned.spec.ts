import { describe, expect, it } from 'vitest';
import type { CameraDetections, LidarObjects, Modality, RigCalibration } from '@sensorfuse/schemas';
import { frameOf, header } from '../real-data.spec-helper.js';
import { resolveCalibration } from '../core/calibration.js';
import { DEFAULT_FUSION_PARAMS } from '../core/params.js';
import type { ObjectFusionInput } from '../core/update.js';
import type { Scene } from '../eval/scene-types.js';
import { coreStrategy } from '../eval/strategies.js';
import { ATTENTION_MODALITIES, TOKEN_DIM, encodeObject } from './attention-features.js';
import { AttentionFusionModel, learnedStrategy } from './learned.js';

const M = ATTENTION_MODALITIES.length;
const allThree: ObjectFusionInput = {
  evidence: [
    { modality: 'camera', sensorId: 'cam', objectClass: 'car', score: 0.8, reliability: 0.9 },
    { modality: 'lidar', sensorId: 'lidar', objectClass: 'car', score: 0.6, reliability: 0.9 },
    { modality: 'audio', sensorId: 'mic', objectClass: 'car', score: 0.7, reliability: 0.8 },
  ],
  origin: 'lidar', lidarClass: 'car', rangeM: 12, lidarPoints: 80, unseenBy: [],
};
const lidarOnly: ObjectFusionInput = { ...allThree, evidence: allThree.evidence.filter((e) => e.modality === 'lidar') };

describe('attention fusion model (the shipped models/fusion-attention)', () => {
  it('gives a masked modality exactly zero attention, and the weights of the others sum to 1', async () => {
    const model = await AttentionFusionModel.open();
    try {
      const [full, single] = await model.run([allThree, lidarOnly]);
      expect(full?.attention.every((w) => w > 0)).toBe(true);
      expect((full?.attention ?? []).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // Only LIDAR present: camera (0) and audio (2) weigh exactly nothing, LIDAR everything.
      expect(single?.attention[0]).toBe(0);
      expect(single?.attention[2]).toBe(0);
      expect(single?.attention[1]).toBeCloseTo(1, 6);
    } finally {
      await model.close();
    }
  });

  it('ignores whatever a masked modality\'s token holds', async () => {
    const model = await AttentionFusionModel.open();
    try {
      const features = new Float32Array(2 * M * TOKEN_DIM);
      const mask = new Float32Array(2 * M);
      encodeObject(allThree, features, mask, 0);
      encodeObject(allThree, features, mask, 1);
      const audio = ATTENTION_MODALITIES.indexOf('audio');
      mask[audio] = 0;
      mask[M + audio] = 0;
      // Object 1's audio token: garbage (a confident "animal" with reliability 1).
      const at = (M + audio) * TOKEN_DIM;
      features.fill(0, at, at + TOKEN_DIM);
      features[at + 6] = 1;
      features[at + 8] = 1;
      const [a, b] = await model.runEncoded(features, mask, 2);
      expect(a?.attention[audio]).toBe(0);
      expect(b?.attention[audio]).toBe(0);
      expect(b?.score).toBe(a?.score);
      expect(b?.objectClass).toBe(a?.objectClass);
    } finally {
      await model.close();
    }
  });
});

// Camera at the body origin looking along +x (camera z = body x, camera x = −body y, camera y = −body z).
const calibration: RigCalibration = {
  rigId: 'rig', version: 1, validFromUs: 0,
  sensors: [
    { sensorId: 'lidar', modality: 'lidar', frameId: 'lidar', extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar', transform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 },
    { sensorId: 'cam', modality: 'camera', frameId: 'cam', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam', transform: [0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1] }, cameraIntrinsics: { width: 1280, height: 720, fx: 1000, fy: 1000, cx: 640, cy: 360, distortionModel: 'none', distortionCoefficients: [] }, microphoneArray: null, clockOffsetUs: 0 },
  ],
};
const T0 = 1_700_000_000_000_000;
function lidarAt(seq: number, t: number): LidarObjects {
  return {
    ...header('lidar', seq, t, 'lidar'),
    objects: [{ clusterId: 0, centroid: { x: 10, y: 0, z: 0 }, extent: { x: 4, y: 2, z: 1.5 }, yawRad: 0, pointCount: 100, meanIntensity: 0, classHint: 'car' }],
    inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
  };
}
function cameraAt(seq: number, t: number): CameraDetections {
  // The car 8–12 m ahead, 2 m wide, 1.5 m tall projects to about u 540–740, v 285–435.
  return {
    ...header('cam', seq, t, 'cam'), imageWidth: 1280, imageHeight: 720,
    detections: [{ box: { xMin: 540, yMin: 290, xMax: 740, yMax: 430 }, objectClass: 'car', label: 'car', score: 0.9 }],
    quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'test',
  };
}

describe('every strategy with any single modality removed still produces output', () => {
  const resolved = resolveCalibration(calibration);
  const scene = { calibration } as unknown as Scene;
  const all: readonly Modality[] = ['camera', 'lidar', 'audio'];
  for (const removed of all) {
    const modalities = all.filter((m) => m !== removed);
    for (const strategy of [coreStrategy('late', 'late', { modalities }), learnedStrategy({ modalities })]) {
      it(`${strategy.name} without ${removed}`, async () => {
        const runner = await strategy.start(scene, DEFAULT_FUSION_PARAMS);
        let detections = 0;
        let tracks = 0;
        for (let k = 0; k < 4; k++) {
          const t = T0 + k * 100_000;
          const out = await runner.step(frameOf(lidarAt(k, t), [cameraAt(k, t)]), resolved);
          detections += out.detections.length;
          tracks = out.tracks.length;
        }
        await runner.close?.();
        expect(detections).toBeGreaterThanOrEqual(4);
        expect(tracks).toBeGreaterThanOrEqual(1);
      });
    }
  }
});
