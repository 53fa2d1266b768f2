/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array indexing; indices are in range by construction */
/**
 * Early fusion as an evaluation strategy (src/eval): per sweep, the cached non-ground points of the
 * LIDAR worker's chain (Scene.sweepPoints) are painted with the frame's camera detections
 * (painting.ts), clustered with the LIDAR worker's own cluster parameters and classified from their
 * paint (early.ts). The painted clusters replace the sweep's LIDAR objects, and the fusion core runs on
 * them with the camera masked (the camera already entered through the paint): same ego motion, audio
 * association, shape completion, tracking and output as late fusion, so the table compares the fusion
 * level alone.
 *
 * Per cluster (the rule, pure: `paintedClusterScore`):
 * - paint = the best class's mean score over the cluster's points that fell into an image (the detector's
 *   score × the camera's reliability, so a degraded camera paints weakly);
 * - paint ≥ `minPaint`: that class, score = paint;
 * - seen by a camera (≥ `minSeenFraction` of its points in an image) but unpainted: the camera says
 *   "background" — the LIDAR-only score × (1 − 0.95 · camera reliability · seen fraction), the point-level
 *   form of late fusion's negative evidence;
 * - outside every image: the LIDAR-only score and the box shape's class.
 * The LIDAR-only score is the late rule's (`lidarOnlyConfidence` × √(points / `lidarFullPoints`)) times the
 * sweep's reliability; audio evidence matched by the core is combined by noisy-OR.
 *
 * With the LIDAR removed there is nothing to paint: the strategy then runs the core on the camera (and
 * audio) alone, i.e. it degrades to the camera path of late fusion, and says so in its description.
 */
import type { AlignedFrame } from '@sensorfuse/align';
import { lidarParams, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { Scratch, type PointCloud } from '@sensorfuse/pointcloud';
import type { CameraDetections, Detection2d, LidarObjects, Modality, ObjectClass } from '@sensorfuse/schemas';
import { applyTransform, identityTransform } from '../core/geometry.js';
import type { FusionParams, FusionPayload, FusionState, ResolvedCalibration, Transform } from '../core/types.js';
import { cameraForFusion, createFusionState, lateFusion, update, type ObjectFusion } from '../core/update.js';
import type { FusionStrategy } from '../eval/strategies.js';
import { DEFAULT_EARLY_PARAMS, earlyFusion, shapeClass, type EarlyObject, type EarlyParams } from './early.js';
import { PAINT_CHANNELS, PAINT_CLASSES, paintPoints, type PaintedPoints } from './painting.js';

export interface EarlyRuleParams {
  /** Smallest mean paint (over a cluster's in-image points) that classifies the cluster. */
  readonly minPaint: number;
  /** Fraction of a cluster's points inside an image from which an unpainted cluster counts as seen and rejected. */
  readonly minSeenFraction: number;
}

export const DEFAULT_EARLY_RULE: EarlyRuleParams = { minPaint: 0.1, minSeenFraction: 0.3 };

/** Class and score of one painted cluster (see the file comment). `cameraReliability`: the best camera of the frame that painted. */
export function paintedClusterScore(
  o: Pick<EarlyObject, 'meanScores' | 'inImageFraction' | 'points' | 'length' | 'width' | 'height'>,
  cameraReliability: number, lidarReliability: number, fusion: Pick<FusionParams, 'lidarOnlyConfidence' | 'lidarFullPoints'>, rule: EarlyRuleParams = DEFAULT_EARLY_RULE,
): { objectClass: ObjectClass; score: number } {
  const lidarScore = fusion.lidarOnlyConfidence * Math.sqrt(Math.min(1, o.points / fusion.lidarFullPoints)) * lidarReliability;
  const seen = o.inImageFraction;
  let best = -1;
  let bestPaint = 0;
  if (seen > 0) {
    for (let c = 0; c < PAINT_CHANNELS; c++) {
      const paint = o.meanScores[c]! / seen;
      if (paint > bestPaint) {
        best = c;
        bestPaint = paint;
      }
    }
  }
  if (best >= 0 && bestPaint >= rule.minPaint) return { objectClass: PAINT_CLASSES[best]!, score: Math.min(1, bestPaint) };
  const objectClass = shapeClass(o.length, o.width, o.height);
  if (seen >= rule.minSeenFraction) return { objectClass, score: lidarScore * (1 - 0.95 * cameraReliability * seen) };
  return { objectClass, score: lidarScore };
}

/**
 * The frame's camera detections, per camera input present (`camera:<sensorId>`), as late fusion weighs them:
 * scores calibrated per class and the reliability floored (the core's `cameraForFusion`).
 */
function camerasOf(frame: AlignedFrame<FusionPayload>, params: FusionParams): CameraDetections[] {
  const out: CameraDetections[] = [];
  for (const [input, member] of Object.entries(frame.members)) {
    if (!input.startsWith('camera:') || member?.select !== 'nearest') continue;
    const p = member.record.payload;
    if (p.kind === 'camera') out.push(cameraForFusion(p.value, params));
  }
  return out;
}

/** Result of painting and clustering one sweep. */
export interface PaintedSweep {
  readonly objects: readonly EarlyObject[];
  /** Reliability of the most reliable camera that painted (0 when none). */
  readonly cameraReliability: number;
}

/**
 * Paints one sweep's points (x y z interleaved, LIDAR frame) with the given cameras and clusters them in
 * the LIDAR frame (the boxes are then LidarObjects like the LIDAR worker's).
 */
export function paintAndCluster(
  points: Float32Array, lidarToBody: Transform, cameras: readonly CameraDetections[], calibration: ResolvedCalibration,
  params: EarlyParams, scratch: Scratch,
): PaintedSweep {
  const n = points.length / 3;
  const cloud: PointCloud = { length: n, x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), intensity: new Float32Array(n) };
  const bx = new Float32Array(n);
  const by = new Float32Array(n);
  const bz = new Float32Array(n);
  const body = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    cloud.x[i] = x;
    cloud.y[i] = y;
    cloud.z[i] = z;
    applyTransform(lidarToBody, x, y, z, body, 0);
    bx[i] = body[0]!;
    by[i] = body[1]!;
    bz[i] = body[2]!;
  }
  let painted: PaintedPoints | undefined;
  let cameraReliability = 0;
  for (const det of cameras) {
    const camera = calibration.cameras.get(det.sensorId);
    if (camera === undefined) continue;
    // The paint is the detector's score weighted by the camera's reliability, as late fusion weights its evidence.
    const scaled: Detection2d[] = det.detections.map((d) => ({ ...d, score: d.score * det.reliability }));
    painted = paintPoints(bx, by, bz, n, camera, scaled, painted);
    cameraReliability = Math.max(cameraReliability, det.reliability);
  }
  painted ??= paintPoints(bx, by, bz, n, { sensorId: '', intrinsics: { width: 0, height: 0, fx: 1, fy: 1, cx: 0, cy: 0, distortionModel: 'none', distortionCoefficients: [] }, cameraToBody: identityTransform(), bodyToCamera: identityTransform() }, []);
  return { objects: earlyFusion(cloud, painted, params, scratch), cameraReliability };
}

export interface EarlyStrategyOptions {
  readonly name?: string;
  /** Modalities used (default camera, LIDAR, audio). */
  readonly modalities?: readonly Modality[];
  readonly early?: EarlyParams;
  readonly rule?: EarlyRuleParams;
}

/** Early fusion for the evaluation harness; needs a scene with `sweepPoints` (SCENE_FORMAT ≥ 5). */
export function earlyStrategy(options: EarlyStrategyOptions = {}): FusionStrategy {
  const used = new Set<Modality>(options.modalities ?? ['camera', 'lidar', 'audio']);
  const lidarCluster = lidarParams(loadLidarConfig({}).lidar).cluster;
  const early: EarlyParams = options.early ?? { ...DEFAULT_EARLY_PARAMS, cluster: lidarCluster };
  const rule = options.rule ?? DEFAULT_EARLY_RULE;
  const name = options.name ?? 'early';
  return {
    name,
    description: used.has('lidar')
      ? 'early fusion: non-ground LIDAR points painted with the camera detector\'s scores, clustered and classified together (PointPainting)'
      : 'early fusion without LIDAR: nothing to paint, the camera path of the core alone',
    start(scene, params) {
      const sweeps = scene.sweepPoints;
      if (sweeps === undefined && used.has('lidar')) throw new RangeError(`scene ${scene.preset}/${String(scene.seed)} has no sweep points (SCENE_FORMAT < 5): regenerate it`);
      let state: FusionState = createFusionState(scene.calibration.rigId);
      const scratch = new Scratch();
      const coreModalities = new Set<Modality>([...used].filter((m) => m !== 'camera' || !used.has('lidar')));
      return {
        step(frame, calibration) {
          const lidar: LidarObjects | undefined = frame.pivot.payload.kind === 'lidar' ? frame.pivot.payload.value : undefined;
          const points = lidar === undefined ? undefined : sweeps?.get(lidar.seq);
          if (!used.has('lidar') || lidar === undefined || points === undefined) {
            const result = update(frame, calibration, state, { params, nowUs: frame.pivotTimeUs, modalities: coreModalities });
            state = result.state;
            return result.output;
          }
          const toBody = calibration.sensorToBody.get(lidar.sensorId) ?? identityTransform();
          const sweep = paintAndCluster(points, toBody, used.has('camera') ? camerasOf(frame, params) : [], calibration, early, scratch);
          const fused = sweep.objects.map((o) => paintedClusterScore(o, sweep.cameraReliability, lidar.reliability, params, rule));
          const paintedLidar: LidarObjects = {
            ...lidar,
            objects: sweep.objects.map((o, i) => ({
              clusterId: i, centroid: { x: o.x, y: o.y, z: o.z }, extent: { x: o.length, y: o.width, z: o.height }, yawRad: o.yawRad,
              pointCount: o.points, meanIntensity: o.meanIntensity, classHint: fused[i]!.objectClass,
            })),
          };
          const paintedFrame: AlignedFrame<FusionPayload> = { ...frame, pivot: { ...frame.pivot, payload: { kind: 'lidar', value: paintedLidar } } };
          // The core builds its objects in the order of the sweep's objects (camera masked: no others).
          let i = 0;
          const fuse: ObjectFusion = (input, p) => {
            const k = i++;
            const own = fused[k];
            if (input.origin !== 'lidar' || own === undefined || sweep.objects[k]?.points !== input.lidarPoints) return lateFusion(input, p);
            let miss = 1 - own.score;
            for (const e of input.evidence) if (e.modality === 'audio') miss *= 1 - Math.min(1, Math.max(0, e.score * e.reliability));
            return { objectClass: own.objectClass, score: 1 - miss };
          };
          const result = update(paintedFrame, calibration, state, { params, nowUs: frame.pivotTimeUs, modalities: coreModalities, fuse });
          state = result.state;
          return result.output;
        },
      };
    },
  };
}
