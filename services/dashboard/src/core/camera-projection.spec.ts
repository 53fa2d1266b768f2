import type { CameraIntrinsics } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { invertRigid, multiply, projectBoxes } from './camera-projection.js';

const K: CameraIntrinsics = { width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240, distortionModel: 'none', distortionCoefficients: [] };
// base_link (x forward, y left, z up) → optical (x right, y down, z forward): x_o = −y, y_o = −z, z_o = x.
const OPTICAL_FROM_BASE = [0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 0, 1];

describe('projectBoxes', () => {
  it('encloses the corners of a box ahead of the camera (hand-computed pinhole)', () => {
    // Box 10–12 m ahead (centre x = 11, length 2), y ∈ [−1, 1], z ∈ [−0.5, 0.5]: the widest extent is at
    // the near face x = 10: u = 500·(±1/10) + 320 = 270…370, v = 500·(±0.5/10) + 240 = 215…265.
    const [box] = projectBoxes([{ x: 11, y: 0, z: 0, lengthM: 2, widthM: 2, heightM: 1, yawRad: 0, label: 'car', score: 0.9 }], OPTICAL_FROM_BASE, K);
    expect(box?.xMin).toBeCloseTo(270, 9);
    expect(box?.xMax).toBeCloseTo(370, 9);
    expect(box?.yMin).toBeCloseTo(215, 9);
    expect(box?.yMax).toBeCloseTo(265, 9);
    expect(box?.label).toBe('car');
  });
  it('leaves out boxes behind the camera and boxes outside the image', () => {
    const behind = { x: -10, y: 0, z: 0, lengthM: 2, widthM: 2, heightM: 1, yawRad: 0, label: 'car', score: 1 };
    const farLeft = { x: 5, y: 40, z: 0, lengthM: 2, widthM: 2, heightM: 1, yawRad: 0, label: 'car', score: 1 };
    expect(projectBoxes([behind, farLeft], OPTICAL_FROM_BASE, K)).toEqual([]);
  });
  it('composes a sensor mount: a camera 2 m forward sees the box 2 m closer', () => {
    const baseFromCamera = invertRigid(OPTICAL_FROM_BASE).map((v, i) => (i === 3 ? 2 : v));
    const cameraFromBase = invertRigid(baseFromCamera);
    // Near face now 8 m away: u = 500·(±1/8) + 320 = 257.5…382.5.
    const [box] = projectBoxes([{ x: 11, y: 0, z: 0, lengthM: 2, widthM: 2, heightM: 1, yawRad: 0, label: 'car', score: 1 }], multiply(cameraFromBase, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), K);
    expect(box?.xMin).toBeCloseTo(257.5, 9);
    expect(box?.xMax).toBeCloseTo(382.5, 9);
  });
});
