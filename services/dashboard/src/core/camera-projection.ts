import type { CameraIntrinsics } from '@sensorfuse/schemas';
import type { CameraBox } from './protocol.js';

/** Row-major 4×4 rigid transform. */
export type Matrix4 = readonly number[];

/** A 3D box: centre, extents along its own x (length), y (width), z (height), yaw about z. */
export interface Box3d {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly lengthM: number;
  readonly widthM: number;
  readonly heightM: number;
  readonly yawRad: number;
  readonly label: string;
  readonly score: number;
}

/** Corners closer than this to the camera plane (metres) make the box not drawable. */
const NEAR_PLANE_M = 0.5;

function apply(m: Matrix4, x: number, y: number, z: number): [number, number, number] {
  const e = (i: number): number => m[i] ?? 0;
  return [e(0) * x + e(1) * y + e(2) * z + e(3), e(4) * x + e(5) * y + e(6) * z + e(7), e(8) * x + e(9) * y + e(10) * z + e(11)];
}

/** Inverse of a rigid [R t; 0 1]: [Rᵀ −Rᵀt; 0 1]. */
export function invertRigid(m: Matrix4): number[] {
  const e = (i: number): number => m[i] ?? 0;
  const r = [e(0), e(1), e(2), e(4), e(5), e(6), e(8), e(9), e(10)];
  const t = [e(3), e(7), e(11)];
  const rt = (row: number, col: number): number => r[col * 3 + row] ?? 0;
  const out: number[] = [];
  for (let row = 0; row < 3; row++) {
    out.push(rt(row, 0), rt(row, 1), rt(row, 2), -(rt(row, 0) * (t[0] ?? 0) + rt(row, 1) * (t[1] ?? 0) + rt(row, 2) * (t[2] ?? 0)));
  }
  out.push(0, 0, 0, 1);
  return out;
}

export function multiply(a: Matrix4, b: Matrix4): number[] {
  const out = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) out[i * 4 + j] = (out[i * 4 + j] ?? 0) + (a[i * 4 + k] ?? 0) * (b[k * 4 + j] ?? 0);
  return out;
}

/**
 * Projects 3D boxes into a pinhole camera (optical frame: x right, y down, z forward; no distortion)
 * as the image rectangle enclosing their 8 corners, clipped to the image. `cameraFromBox` maps the
 * boxes' frame into the camera's optical frame. A box with a corner behind the near plane, or wholly
 * outside the image, is left out.
 */
export function projectBoxes(boxes: readonly Box3d[], cameraFromBox: Matrix4, k: CameraIntrinsics): CameraBox[] {
  const out: CameraBox[] = [];
  for (const b of boxes) {
    const c = Math.cos(b.yawRad);
    const s = Math.sin(b.yawRad);
    let xMin = Number.POSITIVE_INFINITY;
    let yMin = Number.POSITIVE_INFINITY;
    let xMax = Number.NEGATIVE_INFINITY;
    let yMax = Number.NEGATIVE_INFINITY;
    let visible = true;
    for (const dx of [-b.lengthM / 2, b.lengthM / 2]) {
      for (const dy of [-b.widthM / 2, b.widthM / 2]) {
        for (const dz of [-b.heightM / 2, b.heightM / 2]) {
          const [px, py, pz] = apply(cameraFromBox, b.x + c * dx - s * dy, b.y + s * dx + c * dy, b.z + dz);
          if (pz < NEAR_PLANE_M) visible = false;
          const u = k.fx * (px / pz) + k.cx;
          const v = k.fy * (py / pz) + k.cy;
          xMin = Math.min(xMin, u);
          xMax = Math.max(xMax, u);
          yMin = Math.min(yMin, v);
          yMax = Math.max(yMax, v);
        }
      }
    }
    if (!visible || xMax <= 0 || yMax <= 0 || xMin >= k.width || yMin >= k.height) continue;
    out.push({ xMin: Math.max(0, xMin), yMin: Math.max(0, yMin), xMax: Math.min(k.width, xMax), yMax: Math.min(k.height, yMax), label: b.label, score: b.score });
  }
  return out;
}
