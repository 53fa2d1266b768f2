import type { RigCalibration } from '@sensorfuse/schemas';

/** A planar rigid transform (the bird's-eye part of a sensor's extrinsics). */
export interface PlanarTransform {
  readonly cos: number;
  readonly sin: number;
  readonly tx: number;
  readonly ty: number;
  readonly yawRad: number;
}

export const IDENTITY_PLANAR: PlanarTransform = { cos: 1, sin: 0, tx: 0, ty: 0, yawRad: 0 };

/**
 * child frame id → (parent frame id, planar transform) from a rig calibration. Extrinsics are
 * row-major 4×4 child→parent matrices; the bird's-eye view keeps the x/y rows, which is exact
 * for sensors mounted level and close enough for a view of slightly pitched ones.
 */
export function planarTransforms(calibration: RigCalibration): Map<string, { readonly parentFrameId: string; readonly transform: PlanarTransform }> {
  const out = new Map<string, { parentFrameId: string; transform: PlanarTransform }>();
  for (const sensor of calibration.sensors) {
    const m = sensor.extrinsics.transform;
    if (m.length !== 16) continue;
    const r00 = m[0] ?? 1;
    const r10 = m[4] ?? 0;
    const yawRad = Math.atan2(r10, r00);
    out.set(sensor.extrinsics.childFrameId, {
      parentFrameId: sensor.extrinsics.parentFrameId,
      transform: { cos: Math.cos(yawRad), sin: Math.sin(yawRad), tx: m[3] ?? 0, ty: m[7] ?? 0, yawRad },
    });
  }
  return out;
}

/** Applies `t` in place to packed (x, y, z) triples. */
export function transformPointsInPlace(xyz: Float32Array, t: PlanarTransform): void {
  for (let i = 0; i + 2 < xyz.length; i += 3) {
    const x = xyz[i] ?? 0;
    const y = xyz[i + 1] ?? 0;
    xyz[i] = t.cos * x - t.sin * y + t.tx;
    xyz[i + 1] = t.sin * x + t.cos * y + t.ty;
  }
}

export function transformXy(x: number, y: number, t: PlanarTransform): { x: number; y: number } {
  return { x: t.cos * x - t.sin * y + t.tx, y: t.sin * x + t.cos * y + t.ty };
}
