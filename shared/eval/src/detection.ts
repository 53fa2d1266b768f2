import { InvalidEvalInputError } from './errors.js';
import { npInterp } from './npInterp.js';

/**
 * A ground-truth 3D box in a common frame (ego or world) at one sample (one capture time).
 * `size` is [width, length, height] in metres; only its element-wise minimum matters for the scale error,
 * so any fixed order works as long as truth and predictions use the same one.
 */
export interface EvalBox {
  /** Key of the sample (frame) the box belongs to, e.g. the capture time in µs as a string. */
  readonly sampleId: string;
  readonly className: string;
  /** Box centre [x, y, z] in metres; matching uses x and y only (bird's-eye view). */
  readonly center: readonly [number, number, number];
  readonly size: readonly [number, number, number];
  readonly yawRad: number;
  /** Ground-plane velocity [vx, vy] in m/s; absent → the velocity error of the match is NaN (ignored). */
  readonly velocity?: readonly [number, number];
}

/** A detector output: a box with a confidence score. */
export interface PredictedBox extends EvalBox {
  readonly score: number;
}

/** The errors measured on a true positive, named as the nuScenes TP metrics. */
export type TpMetricName = 'transErr' | 'scaleErr' | 'orientErr' | 'velErr';
export const TP_METRIC_NAMES: readonly TpMetricName[] = ['transErr', 'scaleErr', 'orientErr', 'velErr'];

/** The devkit's `DetectionMetricData`: 101-point curves over recall 0, 0.01, …, 1. */
export interface DetectionCurve {
  readonly recall: Float64Array;
  readonly precision: Float64Array;
  readonly confidence: Float64Array;
  readonly errors: Readonly<Record<TpMetricName, Float64Array>>;
  /** The raw errors of each true positive, in matching order (velocity NaN when a box has none). */
  readonly matchErrors: Readonly<Record<TpMetricName, Float64Array>>;
  /** Raw counts at this threshold over all predictions (no score cut). */
  readonly tp: number;
  readonly fp: number;
  readonly numTruth: number;
}

export const CURVE_POINTS = 101;

export interface DetectionEvalConfig {
  /** Centre-distance thresholds in metres. nuScenes: 0.5, 1, 2, 4. */
  readonly distanceThresholdsM: readonly number[];
  /** Threshold used for the TP errors and for precision/recall/F1. nuScenes: 2. */
  readonly tpThresholdM: number;
  /** nuScenes: 0.1 (recall below 10 % is ignored). */
  readonly minRecall: number;
  /** nuScenes: 0.1 (precision below 10 % counts as zero). */
  readonly minPrecision: number;
  /** Classes to score; default: every class in the truth or the predictions, sorted. */
  readonly classNames?: readonly string[];
  /** Classes whose orientation is only defined up to 180° (nuScenes: barrier). */
  readonly halfPeriodYawClasses?: readonly string[];
}

export const NUSCENES_DETECTION_CONFIG: DetectionEvalConfig = Object.freeze({
  distanceThresholdsM: Object.freeze([0.5, 1, 2, 4]),
  tpThresholdM: 2,
  minRecall: 0.1,
  minPrecision: 0.1,
});

export interface PrecisionRecall {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface ClassDetectionMetrics {
  readonly className: string;
  readonly numTruth: number;
  readonly numPredictions: number;
  /** AP per distance threshold, keyed by the threshold as written (e.g. "0.5"). */
  readonly apByThreshold: Readonly<Record<string, number>>;
  /** Mean of the APs over the thresholds. */
  readonly ap: number;
  /** Counts and ratios at `tpThresholdM` over every prediction (no score threshold). */
  readonly atTpThreshold: PrecisionRecall;
  /** The devkit's TP errors (mean over the recall range, 1 when nothing matched). */
  readonly tpErrors: Readonly<Record<TpMetricName, number>>;
  /** Plain mean of each error over the true positives at `tpThresholdM` (NaN when there are none). */
  readonly meanMatchErrors: Readonly<Record<TpMetricName, number>>;
}

export interface DetectionMetrics {
  readonly config: DetectionEvalConfig;
  readonly classes: readonly ClassDetectionMetrics[];
  /** Mean of the class APs. */
  readonly mAP: number;
  /** Mean over classes of each TP error (mATE, mASE, mAOE, mAVE in nuScenes terms). */
  readonly meanTpErrors: Readonly<Record<TpMetricName, number>>;
  /** Plain mean of each error over the true positives of all classes together. */
  readonly meanMatchErrors: Readonly<Record<TpMetricName, number>>;
  /** Counts summed over classes at `tpThresholdM`, and the ratios from the sums. */
  readonly atTpThreshold: PrecisionRecall;
}

/** Euclidean distance of the box centres in the ground plane (x, y): the devkit's `center_distance`. */
export function centerDistance(a: EvalBox, b: EvalBox): number {
  // √(dx² + dy²) as numpy.linalg.norm computes it (Math.hypot rounds differently and is slower).
  const dx = a.center[0] - b.center[0];
  const dy = a.center[1] - b.center[1];
  return Math.sqrt(dx * dx + dy * dy);
}

/** IoU of two boxes after aligning their centres and orientations: the devkit's `scale_iou`. */
export function scaleIou(truth: EvalBox, pred: EvalBox): number {
  const [a0, a1, a2] = truth.size;
  const [b0, b1, b2] = pred.size;
  if (!(a0 > 0 && a1 > 0 && a2 > 0 && b0 > 0 && b1 > 0 && b2 > 0)) {
    throw new InvalidEvalInputError(
      `box sizes must be > 0, found truth [${truth.size.join(', ')}] and prediction [${pred.size.join(', ')}]`,
      { context: { sampleId: truth.sampleId } },
    );
  }
  const inter = Math.min(a0, b0) * Math.min(a1, b1) * Math.min(a2, b2);
  return inter / (a0 * a1 * a2 + b0 * b1 * b2 - inter);
}

/** Smallest absolute yaw difference in [0, π] for the given period (2π, or π for symmetric objects). */
export function yawDifference(truthYawRad: number, predYawRad: number, periodRad = 2 * Math.PI): number {
  const m = (truthYawRad - predYawRad + periodRad / 2) % periodRad;
  let diff = (m < 0 ? m + periodRad : m) - periodRad / 2;
  if (diff > Math.PI) diff -= 2 * Math.PI;
  return Math.abs(diff);
}

function velocityError(truth: EvalBox, pred: EvalBox): number {
  if (truth.velocity === undefined || pred.velocity === undefined) return Number.NaN;
  return Math.hypot(pred.velocity[0] - truth.velocity[0], pred.velocity[1] - truth.velocity[1]);
}

/** Cumulative mean that ignores NaN; all NaN → ones (the devkit's `cummean`). */
function cumMean(values: readonly number[]): Float64Array {
  const out = new Float64Array(values.length);
  if (values.every((v) => Number.isNaN(v))) return out.fill(1);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
    out[i] = count === 0 ? 0 : sum / count;
  }
  return out;
}

function linspace(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i / (n - 1);
  return out;
}

function noPredictionsCurve(tp: number, fp: number, numTruth: number): DetectionCurve {
  const ones = (): Float64Array => new Float64Array(CURVE_POINTS).fill(1);
  return {
    matchErrors: toFloat64({ transErr: [], scaleErr: [], orientErr: [], velErr: [] }),
    recall: linspace(CURVE_POINTS),
    precision: new Float64Array(CURVE_POINTS),
    confidence: new Float64Array(CURVE_POINTS),
    errors: { transErr: ones(), scaleErr: ones(), orientErr: ones(), velErr: ones() },
    tp,
    fp,
    numTruth,
  };
}

function toFloat64(errors: Record<TpMetricName, readonly number[]>): Record<TpMetricName, Float64Array> {
  return {
    transErr: Float64Array.from(errors.transErr),
    scaleErr: Float64Array.from(errors.scaleErr),
    orientErr: Float64Array.from(errors.orientErr),
    velErr: Float64Array.from(errors.velErr),
  };
}

function groupBySample<T extends EvalBox>(boxes: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const b of boxes) {
    const list = map.get(b.sampleId);
    if (list === undefined) map.set(b.sampleId, [b]);
    else list.push(b);
  }
  return map;
}

/**
 * Greedy centre-distance matching and the interpolated PR / TP-error curves of one class at one
 * threshold: the nuScenes devkit's `accumulate`. Predictions are taken by descending score (equal
 * scores: the later one first, as the devkit's sort does); each takes the nearest untaken truth box of
 * its class in its sample, and is a true positive when that distance is strictly below the threshold.
 */
export function accumulateDetections(
  truth: readonly EvalBox[],
  predictions: readonly PredictedBox[],
  className: string,
  distanceThresholdM: number,
  options: { yawPeriodRad?: number } = {},
): DetectionCurve {
  return accumulatePrepared(prepareClass(truth, predictions, className), distanceThresholdM, options.yawPeriodRad);
}

/** One class's boxes, grouped and sorted once and reused for every threshold. */
interface PreparedClass {
  readonly truthBySample: ReadonlyMap<string, readonly EvalBox[]>;
  readonly numTruth: number;
  /** Predictions of the class in matching order. */
  readonly ordered: readonly PredictedBox[];
}

function prepareClass(truth: readonly EvalBox[], predictions: readonly PredictedBox[], className: string): PreparedClass {
  const classTruth = truth.filter((b) => b.className === className);
  const preds = predictions.filter((b) => b.className === className);
  const scores = new Float64Array(preds.length);
  preds.forEach((p, i) => {
    if (!Number.isFinite(p.score)) {
      throw new InvalidEvalInputError(`prediction scores must be finite, found ${p.score}`, {
        context: { sampleId: p.sampleId, className },
      });
    }
    scores[i] = p.score;
  });
  // Descending score; equal scores: the later prediction first (the devkit sorts (score, index) pairs
  // ascending and reverses the list).
  const order = Array.from(preds.keys()).sort((i, j) => {
    const d = (scores[j] as number) - (scores[i] as number);
    return d === 0 ? j - i : d;
  });
  return {
    truthBySample: groupBySample(classTruth),
    numTruth: classTruth.length,
    ordered: order.map((i) => preds[i] as PredictedBox),
  };
}

function accumulatePrepared(prepared: PreparedClass, distanceThresholdM: number, yawPeriodRad?: number): DetectionCurve {
  const period = yawPeriodRad ?? 2 * Math.PI;
  const { truthBySample, numTruth, ordered } = prepared;
  if (numTruth === 0) return noPredictionsCurve(0, ordered.length, 0);

  const taken = new Map<string, Set<number>>();
  const tpFlags: number[] = [];
  const confs: number[] = [];
  const matchConf: number[] = [];
  const errs: Record<TpMetricName, number[]> = { transErr: [], scaleErr: [], orientErr: [], velErr: [] };
  for (const pred of ordered) {
    const candidates = truthBySample.get(pred.sampleId) ?? [];
    let takenHere = taken.get(pred.sampleId);
    let minDist = Number.POSITIVE_INFINITY;
    let best = -1;
    for (let g = 0; g < candidates.length; g++) {
      const gt = candidates[g];
      if (gt === undefined || takenHere?.has(g) === true) continue;
      const d = centerDistance(gt, pred);
      if (d < minDist) {
        minDist = d;
        best = g;
      }
    }
    confs.push(pred.score);
    const gt = candidates[best];
    if (minDist < distanceThresholdM && gt !== undefined) {
      if (takenHere === undefined) {
        takenHere = new Set();
        taken.set(pred.sampleId, takenHere);
      }
      takenHere.add(best);
      tpFlags.push(1);
      errs.transErr.push(centerDistance(gt, pred));
      errs.velErr.push(velocityError(gt, pred));
      errs.scaleErr.push(1 - scaleIou(gt, pred));
      errs.orientErr.push(yawDifference(gt.yawRad, pred.yawRad, period));
      matchConf.push(pred.score);
    } else {
      tpFlags.push(0);
    }
  }
  const tpTotal = matchConf.length;
  const fpTotal = ordered.length - tpTotal;
  if (tpTotal === 0) return noPredictionsCurve(0, fpTotal, numTruth);

  const n = tpFlags.length;
  const rec = new Float64Array(n);
  const prec = new Float64Array(n);
  let tpCum = 0;
  for (let i = 0; i < n; i++) {
    tpCum += tpFlags[i] ?? 0;
    prec[i] = tpCum / (i + 1);
    rec[i] = tpCum / numTruth;
  }
  const recall = linspace(CURVE_POINTS);
  const precision = npInterp(recall, rec, prec, { right: 0 });
  const confidence = npInterp(recall, rec, confs, { right: 0 });

  // Re-sample the cumulative-mean errors onto the confidence levels (ascending order for the interp).
  const confAsc = confidence.slice().reverse();
  const matchConfAsc = matchConf.slice().reverse();
  const resample = (values: readonly number[]): Float64Array => {
    const cm = cumMean(values).reverse();
    return npInterp(confAsc, matchConfAsc, cm).reverse();
  };
  return {
    recall,
    precision,
    confidence,
    errors: {
      transErr: resample(errs.transErr),
      scaleErr: resample(errs.scaleErr),
      orientErr: resample(errs.orientErr),
      velErr: resample(errs.velErr),
    },
    matchErrors: toFloat64(errs),
    tp: tpTotal,
    fp: fpTotal,
    numTruth,
  };
}

/**
 * nuScenes AP: mean of the interpolated precision above `minRecall` (the bin at exactly minRecall
 * excluded), after subtracting `minPrecision` and clipping at 0, normalised by (1 − minPrecision).
 */
export function averagePrecision(curve: DetectionCurve, minRecall: number, minPrecision: number): number {
  if (!(minPrecision >= 0 && minPrecision < 1) || !(minRecall >= 0 && minRecall <= 1)) {
    throw new InvalidEvalInputError(
      `need 0 <= minPrecision < 1 and 0 <= minRecall <= 1, found minPrecision ${minPrecision}, minRecall ${minRecall}`,
    );
  }
  const start = Math.round(100 * minRecall) + 1;
  let sum = 0;
  let count = 0;
  for (let i = start; i < curve.precision.length; i++) {
    sum += Math.max(0, (curve.precision[i] ?? 0) - minPrecision);
    count++;
  }
  return (count === 0 ? Number.NaN : sum / count) / (1 - minPrecision);
}

/** Index of the highest recall reached: the last non-zero confidence (0 when nothing matched). */
function maxRecallIndex(curve: DetectionCurve): number {
  for (let i = curve.confidence.length - 1; i >= 0; i--) if (curve.confidence[i] !== 0) return i;
  return 0;
}

/**
 * nuScenes TP error: mean of the error curve from just above `minRecall` to the highest recall reached
 * (inclusive); 1 when the highest recall does not exceed minRecall.
 */
export function tpError(curve: DetectionCurve, minRecall: number, metric: TpMetricName): number {
  const first = Math.round(100 * minRecall) + 1;
  const last = maxRecallIndex(curve);
  if (last < first) return 1;
  const values = curve.errors[metric];
  let sum = 0;
  for (let i = first; i <= last; i++) sum += values[i] ?? 0;
  return sum / (last - first + 1);
}

function precisionRecall(tp: number, fp: number, numTruth: number): PrecisionRecall {
  const precision = tp + fp === 0 ? Number.NaN : tp / (tp + fp);
  const recall = numTruth === 0 ? Number.NaN : tp / numTruth;
  const f1 = tp === 0 ? (tp + fp + numTruth === 0 ? Number.NaN : 0) : (2 * tp) / (2 * tp + fp + (numTruth - tp));
  return { tp, fp, fn: numTruth - tp, precision, recall, f1 };
}

/** NaN-ignoring mean of each error over all the given true positives. */
function meanErrors(sets: readonly DetectionCurve['matchErrors'][]): Record<TpMetricName, number> {
  const out = { transErr: Number.NaN, scaleErr: Number.NaN, orientErr: Number.NaN, velErr: Number.NaN };
  for (const name of TP_METRIC_NAMES) {
    let sum = 0;
    let count = 0;
    for (const set of sets) {
      for (const v of set[name]) {
        if (!Number.isNaN(v)) {
          sum += v;
          count++;
        }
      }
    }
    out[name] = count === 0 ? Number.NaN : sum / count;
  }
  return out;
}

function thresholdKey(t: number): string {
  return String(t);
}

function meanOf(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

/**
 * Scores detections against truth the nuScenes way: AP per class and threshold, mAP, TP errors at the
 * TP threshold, plus plain precision/recall/F1 at that threshold.
 */
export function evaluateDetections(
  truth: readonly EvalBox[],
  predictions: readonly PredictedBox[],
  config: DetectionEvalConfig = NUSCENES_DETECTION_CONFIG,
): DetectionMetrics {
  const classNames =
    config.classNames ??
    [...new Set([...truth.map((b) => b.className), ...predictions.map((b) => b.className)])].sort();
  const halfPeriod = new Set(config.halfPeriodYawClasses ?? []);
  const tpCurves: DetectionCurve['matchErrors'][] = [];
  const classes: ClassDetectionMetrics[] = classNames.map((className) => {
    const yawPeriodRad = halfPeriod.has(className) ? Math.PI : 2 * Math.PI;
    const prepared = prepareClass(truth, predictions, className);
    const apByThreshold: Record<string, number> = {};
    const aps: number[] = [];
    for (const t of config.distanceThresholdsM) {
      const curve = accumulatePrepared(prepared, t, yawPeriodRad);
      const ap = averagePrecision(curve, config.minRecall, config.minPrecision);
      apByThreshold[thresholdKey(t)] = ap;
      aps.push(ap);
    }
    const tpCurve = accumulatePrepared(prepared, config.tpThresholdM, yawPeriodRad);
    tpCurves.push(tpCurve.matchErrors);
    const tpErrors = {
      transErr: tpError(tpCurve, config.minRecall, 'transErr'),
      scaleErr: tpError(tpCurve, config.minRecall, 'scaleErr'),
      orientErr: tpError(tpCurve, config.minRecall, 'orientErr'),
      velErr: tpError(tpCurve, config.minRecall, 'velErr'),
    };
    return {
      className,
      numTruth: tpCurve.numTruth,
      numPredictions: tpCurve.tp + tpCurve.fp,
      apByThreshold,
      ap: meanOf(aps),
      atTpThreshold: precisionRecall(tpCurve.tp, tpCurve.fp, tpCurve.numTruth),
      tpErrors,
      meanMatchErrors: meanErrors([tpCurve.matchErrors]),
    };
  });
  const sum = (f: (c: ClassDetectionMetrics) => number): number => classes.reduce((a, c) => a + f(c), 0);
  const pooled = meanErrors(tpCurves);
  return {
    config,
    classes,
    mAP: meanOf(classes.map((c) => c.ap)),
    meanTpErrors: {
      transErr: meanOf(classes.map((c) => c.tpErrors.transErr)),
      scaleErr: meanOf(classes.map((c) => c.tpErrors.scaleErr)),
      orientErr: meanOf(classes.map((c) => c.tpErrors.orientErr)),
      velErr: meanOf(classes.map((c) => c.tpErrors.velErr)),
    },
    meanMatchErrors: pooled,
    atTpThreshold: precisionRecall(
      sum((c) => c.atTpThreshold.tp),
      sum((c) => c.atTpThreshold.fp),
      sum((c) => c.numTruth),
    ),
  };
}
