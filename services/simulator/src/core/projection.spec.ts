import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from './geometry.js';
import { BODY_FROM_OPTICAL, boxCorners, invertTransform, transformFromMatrix3x4, transformPoint } from './geometry.js';
import { decomposeRectifiedProjection, projectBox, projectPoint, projectPointsBounds } from './projection.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const kittiDir = path.resolve(repoRoot, '../shared/data/kitti');
const nuscenesJson = path.resolve(repoRoot, '../shared/data/nuscenes-sample/sample.json');

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

interface NuscenesSample {
  data_list: {
    images: Record<string, { cam2img: number[][]; lidar2cam: number[][] }>;
    instances: { bbox_3d: number[] }[];
    cam_instances: Record<string, { bbox: number[]; bbox_3d: number[]; depth: number }[]>;
  }[];
}

describe('projection on real nuScenes calibration and boxes', () => {
  it('projects the 69 LIDAR-frame boxes with lidar2cam and cam2img onto the 2D boxes the devkit derived (about a pixel)', () => {
    if (!existsSync(nuscenesJson)) {
      console.warn(`skipped: ${nuscenesJson} absent (nuScenes calibration check)`);
      return;
    }
    const sample = (JSON.parse(readFileSync(nuscenesJson, 'utf8')) as NuscenesSample).data_list[0];
    if (!sample) throw new Error('empty sample.json');
    const errors: number[] = [];
    for (const [cam, info] of Object.entries(sample.images)) {
      const k = info.cam2img;
      const intrinsics = { width: 1600, height: 900, fx: k[0]?.[0] ?? 0, fy: k[1]?.[1] ?? 0, cx: k[0]?.[2] ?? 0, cy: k[1]?.[2] ?? 0 };
      const cameraFromLidar = transformFromMatrix3x4(info.lidar2cam.slice(0, 3).flat());
      for (const ci of sample.cam_instances[cam] ?? []) {
        const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = ci.bbox;
        // Boxes cut by the image border are clipped as a polygon by the devkit: compare whole boxes only.
        if (x1 < 1 || y1 < 1 || x2 > 1599 || y2 > 899 || ci.depth < 1) continue;
        // The LIDAR-frame instance whose centre lands on this camera box's centre (bottom centre, camera y down).
        let best: { err: number[]; d: number } | undefined;
        for (const inst of sample.instances) {
          const [x = 0, y = 0, z = 0, dx = 0, dy = 0, dz = 0, yaw = 0] = inst.bbox_3d;
          // This export stores box centres (gravity centre), not bottom centres, in both frames.
          const box = { center: [x, y, z] as Vec3, length: dx, width: dy, height: dz, yaw };
          const c = projectPoint(intrinsics, cameraFromLidar, box.center);
          const [cx = 0, cy = 0, cz = 0] = ci.bbox_3d;
          if (!c) continue;
          const camCentre = projectPoint(intrinsics, { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [0, 0, 0] }, [cx, cy, cz]);
          if (!camCentre) continue;
          const d = Math.hypot(c.u - camCentre.u, c.v - camCentre.v) + Math.abs(c.depth - cz);
          // The devkit drops corners behind the camera instead of clipping edges: compare boxes wholly in front.
          if (boxCorners(box).some((p) => transformPoint(cameraFromLidar, p)[2] < 0.1)) continue;
          const b = projectBox(intrinsics, cameraFromLidar, box);
          if (b && (!best || d < best.d)) best = { d, err: [Math.abs(b.x1 - x1), Math.abs(b.y1 - y1), Math.abs(b.x2 - x2), Math.abs(b.y2 - y2)] };
        }
        if (best) errors.push(...best.err);
      }
    }
    const mean = errors.reduce((a, e) => a + e, 0) / errors.length;
    console.log(`nuScenes box projection: ${errors.length / 4} boxes in 6 cameras, mean corner error ${mean.toFixed(3)} px, max ${Math.max(...errors).toFixed(3)} px`);
    expect(errors.length / 4).toBeGreaterThan(20);
    // The devkit boxes differ from a pure re-projection by ~1 px (they were cut from the annotation at the camera time).
    expect(mean).toBeLessThan(1.5);
  });
});
