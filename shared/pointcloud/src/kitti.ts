import type { PointCloud } from './cloud.js';
import { PoisonRecordError } from '@sensorfuse/errors';

/** A KITTI calib or label file that cannot be read. */
export class KittiFormatError extends PoisonRecordError {}

export interface KittiCalib {
  /** 3×3 rectifying rotation, row-major. */
  readonly R0Rect: readonly number[];
  /** 3×4 velodyne → reference camera, row-major. */
  readonly TrVeloToCam: readonly number[];
}

export interface KittiLabel {
  readonly type: string;
  readonly truncated: number;
  readonly occluded: number;
  /** Box height, width, length, metres. */
  readonly h: number;
  readonly w: number;
  readonly l: number;
  /** Bottom-centre location in rectified camera coordinates (x right, y down, z forward). */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  /** Rotation about the camera y axis, radians. */
  readonly rotationY: number;
}

export function parseKittiCalib(text: string): KittiCalib {
  const rows = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    rows.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim().split(/\s+/).map(Number));
  }
  const R0Rect = rows.get('R0_rect');
  const TrVeloToCam = rows.get('Tr_velo_to_cam');
  if (R0Rect?.length !== 9 || TrVeloToCam?.length !== 12) {
    throw new KittiFormatError('KITTI calib needs R0_rect (9 values) and Tr_velo_to_cam (12 values)');
  }
  return { R0Rect, TrVeloToCam };
}

export function parseKittiLabels(text: string): KittiLabel[] {
  const out: KittiLabel[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 15) continue;
    const v = t.map(Number);
    out.push({
      type: t[0] ?? '',
      truncated: v[1] ?? 0,
      occluded: v[2] ?? 0,
      h: v[8] ?? 0,
      w: v[9] ?? 0,
      l: v[10] ?? 0,
      x: v[11] ?? 0,
      y: v[12] ?? 0,
      z: v[13] ?? 0,
      rotationY: v[14] ?? 0,
    });
  }
  return out;
}

/** Velodyne point → rectified camera coordinates: R0_rect · Tr_velo_to_cam · p (KITTI devkit). */
export function veloToRect(c: KittiCalib, px: number, py: number, pz: number): [number, number, number] {
  const T = c.TrVeloToCam;
  const R = c.R0Rect;
  const cx = (T[0] ?? 0) * px + (T[1] ?? 0) * py + (T[2] ?? 0) * pz + (T[3] ?? 0);
  const cy = (T[4] ?? 0) * px + (T[5] ?? 0) * py + (T[6] ?? 0) * pz + (T[7] ?? 0);
  const cz = (T[8] ?? 0) * px + (T[9] ?? 0) * py + (T[10] ?? 0) * pz + (T[11] ?? 0);
  return [
    (R[0] ?? 0) * cx + (R[1] ?? 0) * cy + (R[2] ?? 0) * cz,
    (R[3] ?? 0) * cx + (R[4] ?? 0) * cy + (R[5] ?? 0) * cz,
    (R[6] ?? 0) * cx + (R[7] ?? 0) * cy + (R[8] ?? 0) * cz,
  ];
}

/** Rectified camera point → velodyne: inverse of veloToRect (rotations inverted by transposition). */
export function rectToVelo(c: KittiCalib, rx: number, ry: number, rz: number): [number, number, number] {
  const R = c.R0Rect;
  const T = c.TrVeloToCam;
  // Undo R0_rect (orthonormal: inverse = transpose).
  const cx = (R[0] ?? 0) * rx + (R[3] ?? 0) * ry + (R[6] ?? 0) * rz;
  const cy = (R[1] ?? 0) * rx + (R[4] ?? 0) * ry + (R[7] ?? 0) * rz;
  const cz = (R[2] ?? 0) * rx + (R[5] ?? 0) * ry + (R[8] ?? 0) * rz;
  // Undo Tr_velo_to_cam = [Rv | t]: p = Rvᵀ (c − t).
  const ux = cx - (T[3] ?? 0);
  const uy = cy - (T[7] ?? 0);
  const uz = cz - (T[11] ?? 0);
  return [
    (T[0] ?? 0) * ux + (T[4] ?? 0) * uy + (T[8] ?? 0) * uz,
    (T[1] ?? 0) * ux + (T[5] ?? 0) * uy + (T[9] ?? 0) * uz,
    (T[2] ?? 0) * ux + (T[6] ?? 0) * uy + (T[10] ?? 0) * uz,
  ];
}

/** Centre of a label's 3D box in velodyne coordinates (the label's location is the bottom centre). */
export function labelCenterVelo(c: KittiCalib, label: KittiLabel): [number, number, number] {
  return rectToVelo(c, label.x, label.y - label.h / 2, label.z);
}

/** How many cloud points lie inside a label's 3D box. */
export function countPointsInLabel(c: KittiCalib, label: KittiLabel, cloud: PointCloud): number {
  const cos = Math.cos(label.rotationY);
  const sin = Math.sin(label.rotationY);
  let count = 0;
  for (let i = 0; i < cloud.length; i++) {
    const [X, Y, Z] = veloToRect(c, cloud.x[i] ?? 0, cloud.y[i] ?? 0, cloud.z[i] ?? 0);
    if (Y > label.y || Y < label.y - label.h) continue;
    const dx = X - label.x;
    const dz = Z - label.z;
    // Object frame: x along the length, z along the width (camera rotation about y).
    const lx = cos * dx - sin * dz;
    const lz = sin * dx + cos * dz;
    if (Math.abs(lx) <= label.l / 2 && Math.abs(lz) <= label.w / 2) count++;
  }
  return count;
}
