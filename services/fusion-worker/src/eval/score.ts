/**
 * Scores strategy runs against the simulator's truth: centre-distance mAP (nuScenes rule, one 2 m
 * threshold) with @sensorfuse/eval's `evaluateDetections`, CLEAR-MOT / IDF1 with `evaluateTracking`.
 *
 * Which truth counts (the same for every strategy): objects in the evaluation region (range ≤ maxRangeM
 * from the body origin and, for the 'camera-fov' region, the centre inside the camera's horizontal field
 * of view) that at least one delivering sensor could see: ≥ MIN_LIDAR_POINTS LIDAR points in the sweep,
 * or ≥ MIN_CAMERA_VISIBLE of the silhouette visible in a camera frame that was delivered. Predictions
 * (tracks) outside the region are dropped, as the nuScenes devkit drops boxes beyond the class range.
 */
import { evaluateDetections, evaluateTracking, type EvalBox, type MotMetrics, type PredictedBox } from '@sensorfuse/eval';
import type { FusionOutput, ResolvedCalibration } from '../core/types.js';
import type { Scene, SweepTruth, TruthObject } from './scene-types.js';
import { sceneName } from './scene-types.js';

export const MIN_LIDAR_POINTS = 5;
export const MIN_CAMERA_VISIBLE = 0.25;
export const DISTANCE_THRESHOLD_M = 2;

export interface EvalRegion {
  readonly name: 'camera-fov' | 'all-around';
  readonly maxRangeM: number;
}

export const CAMERA_FOV_50M: EvalRegion = { name: 'camera-fov', maxRangeM: 50 };
export const ALL_AROUND_50M: EvalRegion = { name: 'all-around', maxRangeM: 50 };

export function regionTest(calibration: ResolvedCalibration, region: EvalRegion): (x: number, y: number, z: number) => boolean {
  const camera = [...calibration.cameras.values()][0];
  return (x, y, z) => {
    if (Math.hypot(x, y) > region.maxRangeM) return false;
    if (region.name === 'all-around' || camera === undefined) return true;
    const t = camera.bodyToCamera;
    const m = (i: number) => t[i] ?? 0;
    const xc = m(0) * x + m(1) * y + m(2) * z + m(3);
    const zc = m(8) * x + m(9) * y + m(10) * z + m(11);
    if (zc <= 0) return false;
    const u = (xc / zc) * camera.intrinsics.fx + camera.intrinsics.cx;
    return u >= 0 && u <= camera.intrinsics.width;
  };
}

export function truthCounts(o: TruthObject): boolean {
  return o.lidarPoints >= MIN_LIDAR_POINTS || o.cameraVisible >= MIN_CAMERA_VISIBLE;
}

/** A scene's run of one strategy, ready to score. */
export interface ScoredRun {
  readonly scene: Scene;
  readonly calibration: ResolvedCalibration;
  readonly outputs: readonly FusionOutput[];
}

export type SweepFilter = (sweep: SweepTruth) => boolean;

/** One sweep of a scored run: the truth that counts there (truthCounts, in the region) and the strategy's output for it. */
interface ScoredSweep {
  readonly sceneName: string;
  readonly sweep: SweepTruth;
  readonly truth: readonly TruthObject[];
  /** Undefined when no fused frame was emitted for the sweep (every truth object is missed). */
  readonly out: FusionOutput | undefined;
  readonly inRegion: (x: number, y: number, z: number) => boolean;
}

/** The walk every score shares: each run's sweeps in order, with the truth that counts and the output of that sweep. */
function* scoredSweeps(runs: readonly ScoredRun[], region: EvalRegion): Generator<ScoredSweep> {
  for (const run of runs) {
    const inRegion = regionTest(run.calibration, region);
    const byTime = new Map(run.outputs.map((o) => [o.captureTimeUs, o]));
    const sceneNameOfRun = sceneName(run.scene);
    for (const sweep of run.scene.truth) {
      yield {
        sceneName: sceneNameOfRun, sweep, inRegion, out: byTime.get(sweep.captureTimeUs),
        truth: sweep.objects.filter((o) => truthCounts(o) && inRegion(o.x, o.y, o.z)),
      };
    }
  }
}

interface Samples {
  truth: EvalBox[];
  predictions: PredictedBox[];
}

function collect(runs: readonly ScoredRun[], region: EvalRegion, filter: SweepFilter): Samples {
  const truth: EvalBox[] = [];
  const predictions: PredictedBox[] = [];
  for (const { sceneName: name, sweep, truth: counted, out, inRegion } of scoredSweeps(runs, region)) {
    if (!filter(sweep)) continue;
    const sampleId = `${name}#${String(sweep.seq)}`;
    for (const o of counted) {
      truth.push({ sampleId, className: o.objectClass, center: [o.x, o.y, o.z], size: [o.width, o.length, o.height], yawRad: o.yawRad, velocity: [o.vx, o.vy] });
    }
    if (out === undefined) continue; // no fused frame for this sweep: every truth object is missed
    for (const t of out.tracks) {
      if (t.state === 'lost' || !inRegion(t.position.x, t.position.y, t.position.z)) continue;
      predictions.push({
        sampleId, className: t.objectClass, score: t.score, center: [t.position.x, t.position.y, t.position.z],
        size: [Math.max(0.05, t.extent.y), Math.max(0.05, t.extent.x), Math.max(0.05, t.extent.z)], yawRad: t.yawRad, velocity: [t.velocity.x, t.velocity.y],
      });
    }
  }
  return { truth, predictions };
}

export interface DetectionScore {
  readonly mAP: number;
  readonly apByClass: Readonly<Record<string, number>>;
  readonly truthCount: number;
  readonly predictionCount: number;
  /** Precision / recall of all predictions (no score cut) at 2 m. */
  readonly precision: number;
  readonly recall: number;
  /** Mean centre error of the 2 m matches, metres. */
  readonly meanTranslationErrorM: number;
}

/** mAP over the classes that have truth in these runs (a class with no truth in the region is left out, not scored 0). */
export function scoreDetections(runs: readonly ScoredRun[], region: EvalRegion, filter: SweepFilter = () => true): DetectionScore {
  const { truth, predictions } = collect(runs, region, filter);
  const classNames = [...new Set(truth.map((b) => b.className))].sort();
  const m = evaluateDetections(truth, predictions, {
    distanceThresholdsM: [DISTANCE_THRESHOLD_M], tpThresholdM: DISTANCE_THRESHOLD_M, minRecall: 0.1, minPrecision: 0.1, classNames,
  });
  return {
    mAP: m.mAP,
    apByClass: Object.fromEntries(m.classes.map((c) => [c.className, c.ap])),
    truthCount: truth.length,
    predictionCount: predictions.filter((p) => classNames.includes(p.className)).length,
    precision: m.atTpThreshold.precision,
    recall: m.atTpThreshold.recall,
    meanTranslationErrorM: m.meanMatchErrors.transErr,
  };
}

/** Classes of road users the simulator's truth has: tracks of other classes (unknown clutter) are not scored. */
export const TRUTH_CLASSES: ReadonlySet<string> = new Set(['car', 'truck', 'bus', 'pedestrian', 'cyclist', 'motorcyclist', 'animal']);

/**
 * CLEAR-MOT and IDF1 of the confirmed tracks of a road-user class (class-agnostic matching, 2 m gate)
 * over the same truth; tracks classed unknown (static clutter the LIDAR clusters) are left out.
 */
export function scoreTracking(runs: readonly ScoredRun[], region: EvalRegion): MotMetrics {
  const frames: { truth: { id: string; x: number; y: number }[]; tracks: { id: string; x: number; y: number }[] }[] = [];
  for (const { sceneName: name, truth, out, inRegion } of scoredSweeps(runs, region)) {
    frames.push({
      truth: truth.map((o) => ({ id: `${name}/${String(o.id)}`, x: o.x, y: o.y })),
      tracks: (out?.tracks ?? []).filter((t) => t.state === 'confirmed' && TRUTH_CLASSES.has(t.objectClass) && inRegion(t.position.x, t.position.y, t.position.z)).map((t) => ({ id: `${name}/${String(t.trackId)}`, x: t.position.x, y: t.position.y })),
    });
  }
  return evaluateTracking(frames, { maxDistanceM: DISTANCE_THRESHOLD_M });
}

/** How much of the truth the tracker had to work with (see trackingCoverage). */
export interface TrackingCoverage {
  /** Share of truth appearances with a fused object of the frame (before tracking, any class) within the 2 m gate. */
  readonly detections: number;
  /** Share with a detection or any track (tentative, confirmed or lost, any class) within the gate. */
  readonly detectionsOrTracks: number;
}

/**
 * Coverage of the truth scoreTracking counts, as bounds on MOTA. A tracker that confirmed exactly the detections
 * near truth, with no false track and no switch, would reach `detections` (its Kalman smoothing and coasting through
 * a missed frame can add a little); no choice of which tracks to confirm can pass `detectionsOrTracks`. When these
 * are near or below a MOTA target, tracker work cannot meet it: detection must improve.
 */
export function trackingCoverage(runs: readonly ScoredRun[], region: EvalRegion): TrackingCoverage {
  let truth = 0;
  let byDetection = 0;
  let byEither = 0;
  const near = (x: number, y: number, o: TruthObject) => Math.hypot(x - o.x, y - o.y) <= DISTANCE_THRESHOLD_M;
  for (const { truth: counted, out } of scoredSweeps(runs, region)) {
    for (const o of counted) {
      truth++;
      const detected = (out?.detections ?? []).some((d) => near(d.x, d.y, o));
      if (detected) byDetection++;
      if (detected || (out?.tracks ?? []).some((t) => near(t.position.x, t.position.y, o))) byEither++;
    }
  }
  return truth === 0 ? { detections: Number.NaN, detectionsOrTracks: Number.NaN } : { detections: byDetection / truth, detectionsOrTracks: byEither / truth };
}
