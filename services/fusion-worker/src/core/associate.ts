/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array and matrix indexing on hot paths; indices are in range by construction */
import { assignByComponents } from './assign.js';
import type { AudioEvent, Box2d, CameraDetections } from '@sensorfuse/schemas';
import { audioCompatible } from './classes.js';
import { applyTransform, boxCorners, intersectionArea, iou, projectCornersToImage, projectPointInto, wrapAngle } from './geometry.js';
import type { ResolvedCamera } from './types.js';

/** A LIDAR object in the body frame at the pivot time. */
export interface BodyBox {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yawRad: number;
}

/** How the body moved between the pivot time and another capture time (body velocity, yaw rate). */
export interface EgoDelta {
  readonly vxBody: number;
  readonly vyBody: number;
  readonly yawRateRadS: number;
}

export interface CameraProjection {
  /** Image box of each object, undefined when outside the image or behind the camera. */
  readonly boxes: readonly (Box2d | undefined)[];
  readonly depthM: Float64Array;
  /** Share of the projected box not covered by nearer projected boxes, in [0, 1]. */
  readonly visibleFraction: Float64Array;
}

const GRID = 8;
const corners = new Float64Array(24);
const cam = new Float64Array(24);

/**
 * The body's motion from the pivot time to `dtS` later, as applied to a body-frame point (x, y) at the pivot time:
 * (c·(x − tx) − s·(y − ty), s·(x − tx) + c·(y − ty)) is where it lies in the body frame then (static objects).
 */
function egoShift(dtS: number, ego: EgoDelta): { c: number; s: number; tx: number; ty: number } {
  const dYaw = -ego.yawRateRadS * dtS;
  return { c: Math.cos(dYaw), s: Math.sin(dYaw), tx: ego.vxBody * dtS, ty: ego.vyBody * dtS };
}

/**
 * Projects body-frame boxes into one camera. `dtS` = camera time − pivot time: the boxes are moved into
 * the body frame at the camera's capture time (ego-motion compensation, objects assumed static over dtS),
 * then through body → camera and the intrinsics. Occlusion: boxes are visited nearest first and each box's
 * visible fraction is what nearer boxes leave uncovered.
 */
export function projectIntoCamera(objects: readonly BodyBox[], camera: ResolvedCamera, dtS: number, ego: EgoDelta): CameraProjection {
  const n = objects.length;
  const boxes: (Box2d | undefined)[] = new Array<Box2d | undefined>(n);
  const depthM = new Float64Array(n);
  const visibleFraction = new Float64Array(n);
  const { c, s, tx, ty } = egoShift(dtS, ego);
  for (let i = 0; i < n; i++) {
    const o = objects[i]!;
    boxCorners(o.x, o.y, o.z, o.length, o.width, o.height, o.yawRad, corners);
    for (let k = 0; k < 8; k++) {
      const px = corners[k * 3]! - tx;
      const py = corners[k * 3 + 1]! - ty;
      applyTransform(camera.bodyToCamera, c * px - s * py, s * px + c * py, corners[k * 3 + 2]!, cam, k * 3);
    }
    const cx = o.x - tx;
    const cy = o.y - ty;
    const t = camera.bodyToCamera;
    depthM[i] = t[8]! * (c * cx - s * cy) + t[9]! * (s * cx + c * cy) + t[10]! * o.z + t[11]!;
    boxes[i] = depthM[i]! > 0 ? projectCornersToImage(camera.intrinsics, cam) : undefined;
  }
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => boxes[i] !== undefined);
  order.sort((a, b) => depthM[a]! - depthM[b]!);
  // Coverage by nearer boxes on an 8×8 grid of sample points (a union, so overlapping occluders count once).
  for (let a = 0; a < order.length; a++) {
    const ia = order[a]!;
    const box = boxes[ia]!;
    const occluders: Box2d[] = [];
    for (let b = 0; b < a; b++) {
      const other = boxes[order[b]!]!;
      if (intersectionArea(box, other) > 0) occluders.push(other);
    }
    if (occluders.length === 0) {
      visibleFraction[ia] = 1;
      continue;
    }
    let visible = 0;
    const w = box.xMax - box.xMin;
    const h = box.yMax - box.yMin;
    for (let gy = 0; gy < GRID; gy++) {
      const y = box.yMin + ((gy + 0.5) / GRID) * h;
      for (let gx = 0; gx < GRID; gx++) {
        const x = box.xMin + ((gx + 0.5) / GRID) * w;
        let covered = false;
        for (const o of occluders) {
          if (x >= o.xMin && x <= o.xMax && y >= o.yMin && y <= o.yMax) {
            covered = true;
            break;
          }
        }
        if (!covered) visible++;
      }
    }
    visibleFraction[ia] = visible / (GRID * GRID);
  }
  return { boxes, depthM, visibleFraction };
}

/** Points projected into one camera: pixel (u, v interleaved) and depth (camera z) per point; depth ≤ 0 = behind the camera (pixel 0, 0). */
export interface ProjectedPoints {
  readonly uv: Float64Array;
  readonly depthM: Float64Array;
}

/**
 * Projects body-frame points (x y z interleaved) into one camera with the same ego-motion compensation as
 * projectIntoCamera: LIDAR fragments, whose pixels say which camera box they lie in and whose depth places it.
 */
export function projectPointsIntoCamera(points: Float64Array, camera: ResolvedCamera, dtS: number, ego: EgoDelta): ProjectedPoints {
  const n = points.length / 3;
  const uv = new Float64Array(2 * n);
  const depthM = new Float64Array(n);
  const { c, s, tx, ty } = egoShift(dtS, ego);
  const p = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const px = points[3 * i]! - tx;
    const py = points[3 * i + 1]! - ty;
    applyTransform(camera.bodyToCamera, c * px - s * py, s * px + c * py, points[3 * i + 2]!, p);
    depthM[i] = p[2]!;
    if (p[2]! > 0) projectPointInto(camera.intrinsics, p[0]!, p[1]!, p[2]!, uv, 2 * i);
  }
  return { uv, depthM };
}

export interface CameraMatch {
  readonly objectIndex: number;
  readonly detectionIndex: number;
  readonly iou: number;
}

/**
 * Hungarian assignment of projected object boxes to camera boxes on 1 − IoU·(0.5 + 0.5·visible fraction);
 * IoU below minIou, and boxes less visible than minVisibleFraction, are never matched.
 */
export function matchCameraBoxes(
  projection: CameraProjection,
  detections: CameraDetections['detections'],
  minIou: number,
  minVisibleFraction: number,
): CameraMatch[] {
  const rows: number[] = [];
  for (let i = 0; i < projection.boxes.length; i++) {
    if (projection.boxes[i] !== undefined && projection.visibleFraction[i]! >= minVisibleFraction) rows.push(i);
  }
  if (rows.length === 0 || detections.length === 0) return [];
  // A partly hidden object competes for a camera box at a discount: the nearer object usually owns it.
  const ious = rows.map((i) => detections.map((d) => iou(projection.boxes[i]!, d.box)));
  const costs = rows.map((i, r) => {
    const visibility = 0.5 + 0.5 * projection.visibleFraction[i]!;
    return ious[r]!.map((v) => (v >= minIou ? 1 - v * visibility : Number.POSITIVE_INFINITY));
  });
  return assignByComponents(costs).map(({ row, col }) => ({ objectIndex: rows[row]!, detectionIndex: col, iou: ious[row]![col]! }));
}

export interface AudioCandidate {
  readonly x: number;
  readonly y: number;
  readonly objectClass: Parameters<typeof audioCompatible>[1];
}

export interface AudioMatch {
  readonly eventIndex: number;
  readonly objectIndex: number;
  readonly bearingErrorRad: number;
}

/**
 * Audio events (bearing in the body frame, from the array at (micX, micY)) to objects by bearing: gated at
 * max(minGateRad, gateSigma · bearingStd) and by class compatibility, Hungarian on the normalised error.
 */
export function matchAudioEvents(
  events: readonly { readonly event: AudioEvent; readonly bearingBodyRad: number }[],
  objects: readonly AudioCandidate[],
  micX: number,
  micY: number,
  gateSigma: number,
  minGateRad: number,
): AudioMatch[] {
  if (events.length === 0 || objects.length === 0) return [];
  const errors = events.map(({ event, bearingBodyRad }) => {
    const sigma = Math.max(event.bearingStdRad ?? minGateRad, 1e-3);
    const gate = Math.max(minGateRad, gateSigma * sigma);
    return objects.map((o) => {
      if (!audioCompatible(event.eventClass, o.objectClass)) return Number.POSITIVE_INFINITY;
      const err = Math.abs(wrapAngle(Math.atan2(o.y - micY, o.x - micX) - bearingBodyRad));
      return err <= gate ? err / sigma : Number.POSITIVE_INFINITY;
    });
  });
  return assignByComponents(errors).map(({ row, col }) => {
    const e = events[row]!;
    const o = objects[col]!;
    return {
      eventIndex: row,
      objectIndex: col,
      bearingErrorRad: Math.abs(wrapAngle(Math.atan2(o.y - micY, o.x - micX) - e.bearingBodyRad)),
    };
  });
}
