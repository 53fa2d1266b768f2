/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array indexing on the hot path; indices are in range by construction */
/**
 * Early fusion: the painted sweep (LIDAR points carrying the camera detector's class scores, see
 * painting.ts) is clustered and each cluster classified from its points' painted scores and its shape
 * together, before any object list exists. Clustering and box fitting are shared/pointcloud's.
 */
import { classHint, euclideanClusters, fitBox, Scratch, type ClassHint, type ClusterParams, type PointCloud } from '@sensorfuse/pointcloud';
import type { ObjectClass } from '@sensorfuse/schemas';
import { PAINT_CHANNELS, PAINT_CLASSES, type PaintedPoints } from './painting.js';

export interface EarlyParams {
  readonly cluster: ClusterParams;
  /** Weight of the shape (box class hint) against the mean painted score of the cluster's points. */
  readonly shapeWeight: number;
  /** Score of a cluster with no painted points (seen by LIDAR alone), before point-count saturation. */
  readonly unpaintedScore: number;
  /** Points at which an unpainted cluster's score saturates. */
  readonly fullPoints: number;
}

export const DEFAULT_EARLY_PARAMS: EarlyParams = {
  cluster: { tolerance: 0.6, minSize: 5, maxSize: 20_000 },
  shapeWeight: 0.1,
  unpaintedScore: 0.6,
  fullPoints: 50,
};

export interface EarlyObject {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yawRad: number;
  readonly objectClass: ObjectClass;
  readonly score: number;
  readonly points: number;
  /** Fraction of the cluster's points that projected into a camera image. */
  readonly inImageFraction: number;
  /** Mean painted score per PAINT_CLASSES channel. */
  readonly meanScores: Float32Array;
  readonly meanIntensity: number;
}

const SHAPE_CLASSES: Readonly<Record<ClassHint, readonly ObjectClass[]>> = {
  vehicle: ['car', 'truck', 'bus'],
  pedestrian: ['pedestrian'],
  cyclist: ['cyclist', 'motorcyclist'],
  unknown: [],
};
const SHAPE_DEFAULT: Readonly<Record<ClassHint, ObjectClass>> = { vehicle: 'car', pedestrian: 'pedestrian', cyclist: 'cyclist', unknown: 'unknown' };

/** The class a cluster's box shape suggests (the LIDAR worker's geometry rule), for clusters no camera painted. */
export function shapeClass(length: number, width: number, height: number): ObjectClass {
  return SHAPE_DEFAULT[classHint(length, width, height)];
}

/**
 * Class and score of one cluster from its mean painted scores and its shape: the class maximising
 * mean score + shapeWeight × (shape compatible); a cluster whose points were painted by nothing gets the
 * shape's class at the LIDAR-only score (scaled by its point count).
 */
export function classifyCluster(meanScores: Float32Array, hint: ClassHint, points: number, params: EarlyParams): { objectClass: ObjectClass; score: number } {
  let best = -1;
  let bestValue = 0;
  let anyPaint = false;
  for (let c = 0; c < PAINT_CHANNELS; c++) {
    const s = meanScores[c]!;
    if (s > 0) anyPaint = true;
    const value = s + (SHAPE_CLASSES[hint].includes(PAINT_CLASSES[c]!) ? params.shapeWeight : 0);
    if (s > 0 && value > bestValue) {
      best = c;
      bestValue = value;
    }
  }
  if (!anyPaint || best < 0) {
    return { objectClass: SHAPE_DEFAULT[hint], score: params.unpaintedScore * Math.min(1, points / params.fullPoints) };
  }
  return { objectClass: PAINT_CLASSES[best]!, score: Math.min(1, meanScores[best]!) };
}

/** Clusters the painted, ground-free sweep (body frame) and classifies every cluster. */
export function earlyFusion(cloud: PointCloud, painted: PaintedPoints, params: EarlyParams = DEFAULT_EARLY_PARAMS, scratch: Scratch = new Scratch()): EarlyObject[] {
  const clusters = euclideanClusters(cloud, params.cluster, scratch);
  const out: EarlyObject[] = [];
  for (let k = 0; k < clusters.count; k++) {
    const from = clusters.start[k]!;
    const to = clusters.start[k + 1]!;
    const box = fitBox(cloud, clusters.pointIndex, from, to, { angleStepDeg: 2 }, scratch);
    const mean = new Float32Array(PAINT_CHANNELS);
    let inImage = 0;
    let intensity = 0;
    for (let j = from; j < to; j++) {
      const i = clusters.pointIndex[j]!;
      inImage += painted.inImage[i]!;
      intensity += cloud.intensity[i]!;
      for (let c = 0; c < PAINT_CHANNELS; c++) mean[c] = mean[c]! + painted.scores[i * PAINT_CHANNELS + c]!;
    }
    const count = to - from;
    for (let c = 0; c < PAINT_CHANNELS; c++) mean[c] = mean[c]! / count;
    const { objectClass, score } = classifyCluster(mean, classHint(box.length, box.width, box.height), count, params);
    out.push({
      x: box.centerX, y: box.centerY, z: box.centerZ, length: box.length, width: box.width, height: box.height, yawRad: box.yaw,
      objectClass, score, points: count, inImageFraction: inImage / count, meanScores: mean, meanIntensity: intensity / count,
    });
  }
  return out;
}
