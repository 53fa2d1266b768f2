// Sweeps for the specs: a KITTI frame wrapped as a LidarScan, and a synthetic scene whose answer is known by construction.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LidarScan, PointField } from '@sensorfuse/schemas';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const KITTI_DIR = path.resolve(REPO_ROOT, '../shared/data/kitti');
export const hasKitti = existsSync(path.join(KITTI_DIR, 'velodyne', '000000.bin'));

export const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

const XYZI: PointField[] = [
  { name: 'x', offset: 0, datatype: 'float32', count: 1 },
  { name: 'y', offset: 4, datatype: 'float32', count: 1 },
  { name: 'z', offset: 8, datatype: 'float32', count: 1 },
  { name: 'intensity', offset: 12, datatype: 'float32', count: 1 },
];

function header(seq: number, rigId: string, sensorId: string) {
  return { rigId, sensorId, seq, captureTimeUs: T0 + seq * 100_000, publishTimeUs: T0 + seq * 100_000 + 3_000, frameId: sensorId, sweepDurationUs: 100_000 };
}

/** A KITTI velodyne frame as the LIDAR driver would publish it: float32 x, y, z, reflectance, stride 16. */
export function kittiScan(frame: string, seq = 0): LidarScan {
  const data = readFileSync(path.join(KITTI_DIR, 'velodyne', `${frame}.bin`));
  return { ...header(seq, 'kitti', 'velo_top'), fields: XYZI, pointStride: 16, pointCount: data.length / 16, data };
}

/** x, y, z, intensity float32 points, stride 16. */
export function scanOf(points: readonly (readonly [number, number, number, number])[], seq = 1, rigId = 'rig-1', sensorId = 'lidar_top'): LidarScan {
  const f = new Float32Array(points.length * 4);
  points.forEach((p, i) => { f.set(p, i * 4); });
  return { ...header(seq, rigId, sensorId), fields: XYZI, pointStride: 16, pointCount: points.length, data: Buffer.from(f.buffer) };
}

/**
 * A flat road 1.73 m below the sensor (a 0.2 m grid from 4 to 30 m ahead, ±12 m aside) and one
 * car-sized box, 4.0 m long, 1.8 m wide, 1.5 m tall, centred at (`cx`, `cy`) on the road, its
 * four sides and roof sampled every 0.1 m. The box faces are what a LIDAR could see; the answer
 * (centre, size, class) is known by construction.
 */
export function carScene(cx = 12, cy = 4): [number, number, number, number][] {
  const pts: [number, number, number, number][] = [];
  const ground = -1.73;
  for (let x = 4; x <= 30; x += 0.2) for (let y = -12; y <= 12; y += 0.2) pts.push([x, y, ground, 0.3]);
  const [l, w, h] = [4.0, 1.8, 1.5];
  const bottom = ground + 0.3; // wheels: the body starts 0.3 m above the road
  const top = ground + h;
  for (let z = bottom; z <= top + 1e-9; z += 0.1) {
    for (let s = -l / 2; s <= l / 2 + 1e-9; s += 0.1) {
      pts.push([cx + s, cy - w / 2, z, 0.6], [cx + s, cy + w / 2, z, 0.6]);
    }
    for (let s = -w / 2; s <= w / 2 + 1e-9; s += 0.1) {
      pts.push([cx - l / 2, cy + s, z, 0.6], [cx + l / 2, cy + s, z, 0.6]);
    }
  }
  for (let s = -l / 2; s <= l / 2 + 1e-9; s += 0.1) for (let t = -w / 2; t <= w / 2 + 1e-9; t += 0.1) pts.push([cx + s, cy + t, top, 0.6]);
  return pts;
}
