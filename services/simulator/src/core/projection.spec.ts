import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from './geometry.js';
import { BODY_FROM_OPTICAL, invertTransform } from './geometry.js';
import { decomposeRectifiedProjection, projectBox, projectPoint, projectPointsBounds } from './projection.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const kittiDir = path.resolve(repoRoot, '../shared/data/kitti');

describe('pinhole projection', () => {
  it('projects a point on the optical axis to the principal point and one 1 m right at 10 m by f/10 px', () => {
    const k = { width: 640, height: 384, fx: 500, fy: 500, cx: 320, cy: 192 };
    // Camera at 1.5 m height in the ego frame looking forward (ego x forward, z up).
    const egoFromCamera = { rotation: BODY_FROM_OPTICAL, translation: [0, 0, 1.5] as Vec3 };
    const cameraFromEgo = invertTransform(egoFromCamera);
    const centre = projectPoint(k, cameraFromEgo, [10, 0, 1.5]);
    expect(centre?.u).toBeCloseTo(320, 9);
    expect(centre?.v).toBeCloseTo(192, 9);
    expect(centre?.depth).toBeCloseTo(10, 9);
    // 1 m to the right (ego -y) and 1 m down at 10 m: 500 * 1/10 = 50 px right and 50 px down.
    const offAxis = projectPoint(k, cameraFromEgo, [10, -1, 0.5]);
    expect(offAxis?.u).toBeCloseTo(370, 9);
    expect(offAxis?.v).toBeCloseTo(242, 9);
    expect(projectPoint(k, cameraFromEgo, [-5, 0, 1.5])).toBeUndefined();
  });

  it('clips a box that straddles the camera at the near plane instead of dropping or flipping it', () => {
    const k = { width: 640, height: 384, fx: 500, fy: 500, cx: 320, cy: 192 };
    const cameraFromEgo = invertTransform({ rotation: BODY_FROM_OPTICAL, translation: [0, 0, 1.5] });
    // A wall 2 m to the left running from behind the camera to 20 m ahead: it must reach the left image edge.
    const b = projectBox(k, cameraFromEgo, { center: [5, 3, 1], length: 30, width: 0.2, height: 2, yaw: 0 });
    expect(b).toBeDefined();
    expect(b?.x1).toBe(0);
    expect(b?.x2).toBeLessThan(320);
  });
});

/** KITTI devkit `computeBox3D`: corners of a label in the rectified camera-0 frame (y down). */
function kittiCorners(h: number, w: number, l: number, x: number, y: number, z: number, ry: number): Vec3[] {
  const xs = [l / 2, l / 2, -l / 2, -l / 2, l / 2, l / 2, -l / 2, -l / 2];
  const ys = [0, 0, 0, 0, -h, -h, -h, -h];
  const zs = [w / 2, -w / 2, -w / 2, w / 2, w / 2, -w / 2, -w / 2, w / 2];
  const c = Math.cos(ry);
  const s = Math.sin(ry);
  return xs.map((cx, i) => {
    const cy = ys[i] ?? 0;
    const cz = zs[i] ?? 0;
    return [c * cx + s * cz + x, cy + y, -s * cx + c * cz + z] as Vec3;
  });
}

describe('projection on real KITTI calibration and labels', () => {
  it('lands KITTI 3D labels on their own 2D boxes in image_2 (mean corner error of a few pixels)', async () => {
    if (!existsSync(path.join(kittiDir, 'label_2'))) {
      console.warn(`skipped: ${kittiDir} absent (KITTI calibration check)`);
      return;
    }
    const errors: number[] = [];
    for (const file of readdirSync(path.join(kittiDir, 'label_2')).sort()) {
      const id = file.replace('.txt', '');
      const calib = new Map(
        readFileSync(path.join(kittiDir, 'calib', `${id}.txt`), 'utf8')
          .split('\n')
          .filter((l) => l.includes(':'))
          .map((l) => {
            const [key, rest] = l.split(':');
            return [key ?? '', (rest ?? '').trim().split(/\s+/).map(Number)] as const;
          }),
      );
      const meta = await sharp(path.join(kittiDir, 'image_2', `${id}.png`)).metadata();
      const p2 = calib.get('P2');
      expect(p2).toHaveLength(12);
      const { intrinsics, cameraFromRectified } = decomposeRectifiedProjection(p2 ?? [], meta.width, meta.height);
      for (const line of readFileSync(path.join(kittiDir, 'label_2', file), 'utf8').split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 15 || f[0] === 'DontCare') continue;
        const n = f.slice(1).map(Number);
        const [truncated = 0, , , left = 0, top = 0, right = 0, bottom = 0, h = 0, w = 0, l = 0, x = 0, y = 0, z = 0, ry = 0] = n;
        if (truncated > 0.3) continue; // KITTI 2D boxes of heavily truncated objects are cut by the image border
        const corners = kittiCorners(h, w, l, x, y, z, ry);
        const b = projectPointsBounds(intrinsics, cameraFromRectified, corners);
        expect(b).toBeDefined();
        if (!b) continue;
        errors.push(Math.abs(b.x1 - left), Math.abs(b.y1 - top), Math.abs(b.x2 - right), Math.abs(b.y2 - bottom));
      }
    }
    expect(errors.length).toBeGreaterThan(0);
    const mean = errors.reduce((a, e) => a + e, 0) / errors.length;
    console.log(`KITTI label projection: ${errors.length / 4} boxes, mean corner error ${mean.toFixed(2)} px, max ${Math.max(...errors).toFixed(2)} px`);
    expect(mean).toBeLessThan(5);
    expect(Math.max(...errors)).toBeLessThan(15);
  });
});
