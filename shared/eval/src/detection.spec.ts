import { describe, expect, it } from 'vitest';
import {
  accumulateDetections,
  averagePrecision,
  centerDistance,
  evaluateDetections,
  scaleIou,
  TP_METRIC_NAMES,
  tpError,
  yawDifference,
  type EvalBox,
  type PredictedBox,
} from './detection.js';
import { InvalidEvalInputError } from './errors.js';

/**
 * Boxes as the nuScenes devkit's test_algo.py builds them: defaults translation (0,0,0), size (1,1,1),
 * yaw 0, velocity (0,0), class car; the fields given override them.
 */
interface Spec {
  trans?: [number, number, number];
  size?: [number, number, number];
  score?: number;
  name?: string;
}
function truthBoxes(samples: Record<string, Spec[]>): EvalBox[] {
  return Object.entries(samples).flatMap(([sampleId, specs]) =>
    specs.map((s) => ({
      sampleId,
      className: s.name ?? 'car',
      center: s.trans ?? [0, 0, 0],
      size: s.size ?? [1, 1, 1],
      yawRad: 0,
      velocity: [0, 0] as const,
    })),
  );
}
function predBoxes(samples: Record<string, Spec[]>): PredictedBox[] {
  return truthBoxes(samples).map((b, i) => ({ ...b, score: flat(samples)[i]?.score ?? -1 }));
}
function flat(samples: Record<string, Spec[]>): Spec[] {
  return Object.values(samples).flat();
}
function ap(gts: Record<string, Spec[]>, preds: Record<string, Spec[]>, className = 'car'): number {
  return averagePrecision(accumulateDetections(truthBoxes(gts), predBoxes(preds), className, 2), 0.1, 0.1);
}
function transErr(gts: Record<string, Spec[]>, preds: Record<string, Spec[]>): number {
  return tpError(accumulateDetections(truthBoxes(gts), predBoxes(preds), 'car', 2), 0.1, 'transErr');
}

// test_algo.py TestAPSimple fixtures.
const car1: Spec = { trans: [1, 1, 1], score: 1.0 };
const car2: Spec = { trans: [3, 3, 1], score: 0.7 };
const bicycle1: Spec = { trans: [5, 5, 1], name: 'bicycle', score: 1.0 };

/*
 * nuScenes AP in one line: precision is re-sampled at recall 0, 0.01, …, 1 (numpy.interp, 0 beyond the
 * highest recall reached); AP = mean over the 90 bins 0.11…1.00 of max(0, p − 0.1), divided by 0.9.
 * The devkit's own tests accept |AP − target| ≤ 0.01; the exact values below follow from that rule.
 */
describe('nuScenes AP: devkit test_algo.py TestAPSimple', () => {
  it('test_no_data: no truth, no predictions, or neither → AP 0', () => {
    expect(ap({ s1: [] }, { s1: [car1] })).toBe(0);
    expect(ap({ s1: [car1] }, { s1: [] })).toBe(0);
    expect(ap({ s1: [] }, { s1: [] })).toBe(0);
  });

  it('perfect detection → 1', () => {
    expect(ap({ s1: [car1] }, { s1: [car1] })).toBeCloseTo(1, 12);
  });

  it('detect one of two objects → 0.4/0.9 (published target)', () => {
    // Recall 0.5 at precision 1: bins 0.11…0.50 (40 of 90) hold 0.9 → 0.9·40/90/0.9 = 0.4/0.9.
    expect(ap({ s1: [car1, car2] }, { s1: [car1] })).toBeCloseTo(0.4 / 0.9, 12);
  });

  it('one TP and a lower-scored FP → 80.5/81 (published target 1.0 ± 0.01)', () => {
    // PR points (1, 1) then (1, 0.5); numpy.interp returns the last duplicate at recall 1, so bin 1.00
    // holds 0.5: (89·0.9 + 0.4)/90/0.9 = 80.5/81 = 0.99383.
    const v = ap({ s1: [car1] }, { s1: [car1, car2] });
    expect(v).toBeCloseTo(80.5 / 81, 12);
    expect(Math.abs(v - 1)).toBeLessThanOrEqual(0.01);
  });

  it('FP scored above the TP → 0.2 (published target ((0.8·0.4)/2)/(0.9·0.9) ± 0.01)', () => {
    // car1 (score 1) is 2.83 m from the only truth (car2): FP; car2 (0.7) is a TP. PR points (0, 0), (1, 0.5):
    // p(r) = r/2, so bins i = 21…100 contribute 0.005·i − 0.1: Σ = 0.005·4840 − 8 = 16.2 → 16.2/90/0.9 = 0.2.
    const v = ap({ s1: [car2] }, { s1: [car1, car2] });
    expect(v).toBeCloseTo(0.2, 12);
    expect(Math.abs(v - (0.8 * 0.4) / 2 / (0.9 * 0.9))).toBeLessThanOrEqual(0.01);
  });

  it('an FP of another class does not count → 1', () => {
    expect(ap({ s1: [car1] }, { s1: [car1, bicycle1] })).toBeCloseTo(1, 12);
  });

  it('test_two_samples: both detected → 1; second sample empty → 1; FN in the other → 0.4/0.9', () => {
    expect(ap({ s1: [car1], s2: [car2] }, { s1: [car1], s2: [car2] })).toBeCloseTo(1, 12);
    expect(ap({ s1: [car1], s2: [] }, { s1: [car1], s2: [] })).toBeCloseTo(1, 12);
    expect(ap({ s1: [car1], s2: [car2] }, { s1: [car1], s2: [] })).toBeCloseTo(0.4 / 0.9, 12);
  });
});

/*
 * nuScenes TP error: the cumulative-mean error of the matches, re-sampled on the confidence curve, averaged
 * over the recall bins 0.11 … highest recall reached; 1 when nothing matched.
 */
describe('nuScenes TP errors: devkit test_algo.py TestTPSimple', () => {
  const gt1: Spec = { trans: [1, 1, 1] };
  const gt2: Spec = { trans: [10, 10, 1], size: [2, 2, 2] };
  const gt3: Spec = { trans: [20, 20, 1], size: [2, 4, 2] };
  const pred1: Spec = { trans: [1, 1, 1], score: 1.0 };
  const pred2: Spec = { trans: [11, 10, 1], size: [2, 2, 2], score: 0.9 };
  const pred3: Spec = { trans: [100, 10, 1], size: [2, 2, 2], score: 0.8 };
  const pred4: Spec = { trans: [20, 20, 1], size: [2, 4, 2], score: 0.7 };
  const pred5: Spec = { trans: [21, 20, 1], size: [2, 4, 2], score: 0.7 };

  it('test_no_positives: out of range or another class → error 1 for every TP metric', () => {
    const c1 = { trans: [1, 1, 1], score: 1.0 } as Spec;
    const c2 = { trans: [3, 3, 1], score: 1.0 } as Spec;
    const bike = { trans: [1, 1, 1], score: 1.0, name: 'bicycle' } as Spec;
    for (const metric of TP_METRIC_NAMES) {
      const far = accumulateDetections(truthBoxes({ s1: [c1] }), predBoxes({ s1: [c2] }), 'car', 2);
      expect(tpError(far, 0.1, metric)).toBe(1);
      const other = accumulateDetections(truthBoxes({ s1: [c1] }), predBoxes({ s1: [bike] }), 'car', 2);
      expect(tpError(other, 0.1, metric)).toBe(1);
    }
  });

  it('test_perfect: exact boxes → error 0, whatever the score', () => {
    for (const metric of TP_METRIC_NAMES) {
      for (const score of [1.0, 0.3]) {
        const md = accumulateDetections(truthBoxes({ s1: [car1] }), predBoxes({ s1: [{ ...car1, score }] }), 'car', 2);
        expect(tpError(md, 0.1, metric)).toBeCloseTo(0, 12);
      }
    }
  });

  it('test_one_img: one match 1 m off → 1', () => {
    expect(transErr({ s1: [gt2] }, { s1: [pred2] })).toBeCloseTo(1, 12);
  });

  it('test_one_img: two matches (0 m, 1 m) → 12.75/90 (published target 0.25/1.8 ± 0.01)', () => {
    // Confidence 1 up to recall 0.5, then linear to 0.9 at recall 1; the error runs 0 → 0.5 alongside,
    // so the error at bin i is max(0, i/100 − 0.5): Σ_{i=51}^{100} (i − 50)/100 = 12.75, over 90 bins.
    const target = ((0 + 0) / 2 + (0 + 0.5) / 2) / (2 * 0.9);
    const v = transErr({ s1: [gt1, gt2] }, { s1: [pred1, pred2] });
    expect(v).toBeCloseTo(12.75 / 90, 12);
    expect(Math.abs(v - target)).toBeLessThanOrEqual(0.01);
    // The plain mean over the two true positives is (0 + 1)/2: the devkit's curve average weights the
    // error by recall instead.
    const tpMean = evaluateDetections(truthBoxes({ s1: [gt1, gt2] }), predBoxes({ s1: [pred1, pred2] }));
    expect(tpMean.classes[0]?.meanMatchErrors.transErr).toBeCloseTo(0.5, 12);
    // A lower-scored false positive does not change it.
    expect(transErr({ s1: [gt1, gt2] }, { s1: [pred1, pred2, pred3] })).toBeCloseTo(12.75 / 90, 12);
  });

  it('test_one_img: three matches (0, 1, 0 m) → the piecewise-linear curve (published target ± 0.01)', () => {
    // Recall points 1/3, 2/3, 1 with scores 1, 0.9, 0.7 and cumulative mean errors 0, 0.5, 1/3.
    // Error as a function of recall r: 0 up to 1/3; 1.5·(r − 1/3) up to 2/3; then from 0.5 down to 1/3
    // at r = 1, linear in the confidence (0.9 → 0.7), i.e. 1/3 + (1 − 3(r − 2/3))/6.
    const err = (r: number): number =>
      r <= 1 / 3 ? 0 : r <= 2 / 3 ? 1.5 * (r - 1 / 3) : 1 / 3 + (1 - 3 * (r - 2 / 3)) / 6;
    let sum = 0;
    for (let i = 11; i <= 100; i++) sum += err(i / 100);
    const target = ((0 + 0) / 2 + (0 + 0.5) / 2 + (0.5 + 0.33) / 2) / (3 * 0.9);
    const v = transErr({ s1: [gt1, gt2, gt3] }, { s1: [pred1, pred2, pred4] });
    expect(v).toBeCloseTo(sum / 90, 9);
    expect(Math.abs(v - target)).toBeLessThanOrEqual(0.01);
  });

  it('test_one_img / test_two_imgs: every match 1 m off → 1', () => {
    expect(transErr({ s1: [gt2, gt3] }, { s1: [pred2, pred5] })).toBeCloseTo(1, 12);
    expect(transErr({ s1: [gt2, gt3], s2: [gt3] }, { s1: [pred2], s2: [pred5] })).toBeCloseTo(1, 12);
  });

  it('test_two_imgs: matches in two samples, plus an FP and an empty sample → 12.75/90', () => {
    expect(transErr({ s1: [gt1], s2: [gt2] }, { s1: [pred1], s2: [pred2] })).toBeCloseTo(12.75 / 90, 12);
    expect(
      transErr({ s1: [gt1], s2: [gt2], s3: [] }, { s1: [pred1], s2: [pred2, pred3], s3: [] }),
    ).toBeCloseTo(12.75 / 90, 12);
  });
});

describe('nuScenes box utilities: devkit test_utils.py', () => {
  const box = (over: Partial<EvalBox>): EvalBox => ({
    sampleId: 's',
    className: 'car',
    center: [0, 0, 0],
    size: [1, 1, 1],
    yawRad: 0,
    ...over,
  });

  it('scale_iou: identical 1, half-size 1/8 both ways, arbitrary 0.00509204, empty/negative rejected', () => {
    expect(scaleIou(box({ size: [4, 4, 4] }), box({ size: [4, 4, 4] }))).toBe(1);
    expect(scaleIou(box({ size: [2, 2, 2] }), box({ size: [1, 1, 1] }))).toBe(1 / 8);
    expect(scaleIou(box({ size: [1, 1, 1] }), box({ size: [2, 2, 2] }))).toBe(1 / 8);
    expect(scaleIou(box({ size: [0.96, 0.37, 0.69] }), box({ size: [0.32, 0.01, 0.39] }))).toBeCloseTo(0.00509204, 7);
    expect(() => scaleIou(box({ size: [0, 4, 4] }), box({ size: [4, 4, 4] }))).toThrow(InvalidEvalInputError);
    expect(() => scaleIou(box({ size: [4, 4, 4] }), box({ size: [4, -5, 4] }))).toThrow(InvalidEvalInputError);
  });

  it('angle_diff cases (degrees → radians) with periods 360, 180 and 90', () => {
    const rad = (d: number): number => (d / 180) * Math.PI;
    expect(yawDifference(rad(90), rad(0), rad(360))).toBeCloseTo(rad(90), 12);
    expect(yawDifference(rad(90), rad(0), rad(180))).toBeCloseTo(rad(90), 12);
    expect(yawDifference(rad(90), rad(0), rad(90))).toBeCloseTo(0, 12);
    expect(yawDifference(rad(0), rad(90), rad(90))).toBeCloseTo(0, 12);
    expect(yawDifference(rad(0), rad(180), rad(180))).toBeCloseTo(0, 12);
    expect(yawDifference(rad(0), rad(180), rad(360))).toBeCloseTo(rad(180), 12);
    expect(yawDifference(rad(0), rad(180 + 360 * 200), rad(360))).toBeCloseTo(rad(180), 9);
  });

  it('yaw_diff: 1.1π vs 0.9π → 0.2π; yaws in [−10, 10] wrap to [0, π]', () => {
    expect(yawDifference(1.1 * Math.PI, 0.9 * Math.PI)).toBeCloseTo(0.2 * Math.PI, 12);
    for (let k = 0; k < 100; k++) {
      const yaw = -10 + (20 * k) / 99;
      let expected = ((yaw % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
      if (expected > Math.PI) expected = 2 * Math.PI - expected;
      expect(yawDifference(0, yaw)).toBeCloseTo(expected, 9);
    }
  });

  it('center_distance ignores z', () => {
    expect(centerDistance(box({ center: [4, 4, 4] }), box({ center: [3, 3, 3] }))).toBeCloseTo(Math.SQRT2, 12);
    expect(centerDistance(box({ center: [4.2, 2.8, 4.2] }), box({ center: [-1.45, 3.5, 3.9] }))).toBeCloseTo(
      Math.hypot(-1.45 - 4.2, 3.5 - 2.8),
      12,
    );
  });
});

describe('evaluateDetections (hand-computed)', () => {
  it('scores two classes: mAP, precision/recall/F1 at 2 m, TP errors and half-period yaw', () => {
    // Sample s1: a car at (0,0) detected 0.5 m off with scale [2,4,1.5] vs [2,4,2] and yaw off by π/2;
    // a pedestrian at (10,0) missed, and a pedestrian ghost at (30,0).
    const truth: EvalBox[] = [
      { sampleId: 's1', className: 'car', center: [0, 0, 0], size: [2, 4, 2], yawRad: 0, velocity: [1, 0] },
      { sampleId: 's1', className: 'pedestrian', center: [10, 0, 0], size: [0.6, 0.6, 1.8], yawRad: 0 },
    ];
    const preds: PredictedBox[] = [
      { sampleId: 's1', className: 'car', center: [0.5, 0, 0], size: [2, 4, 1.5], yawRad: Math.PI / 2, velocity: [1, 1], score: 0.9 },
      { sampleId: 's1', className: 'pedestrian', center: [30, 0, 0], size: [0.6, 0.6, 1.8], yawRad: 0, score: 0.8 },
    ];
    const m = evaluateDetections(truth, preds);
    const car = m.classes.find((c) => c.className === 'car');
    const ped = m.classes.find((c) => c.className === 'pedestrian');
    // Car: 0.5 m off → a miss at the 0.5 m threshold (strictly below is required), a hit at 1, 2, 4 m.
    expect(car?.apByThreshold['0.5']).toBe(0);
    for (const t of ['1', '2', '4']) expect(car?.apByThreshold[t]).toBeCloseTo(1, 12);
    expect(car?.ap).toBeCloseTo(0.75, 12);
    expect(ped?.ap).toBe(0);
    expect(m.mAP).toBeCloseTo(0.375, 12);
    // Car TP errors: 0.5 m; scale 1 − (2·4·1.5)/(2·4·2) = 0.25; yaw π/2; velocity |(0,1)| = 1.
    expect(car?.tpErrors.transErr).toBeCloseTo(0.5, 12);
    expect(car?.tpErrors.scaleErr).toBeCloseTo(0.25, 12);
    expect(car?.tpErrors.orientErr).toBeCloseTo(Math.PI / 2, 12);
    expect(car?.tpErrors.velErr).toBeCloseTo(1, 12);
    // Plain means over the true positives: the car's single match; the pedestrian has none (NaN).
    expect(car?.meanMatchErrors.transErr).toBeCloseTo(0.5, 12);
    expect(car?.meanMatchErrors.velErr).toBeCloseTo(1, 12);
    expect(ped?.meanMatchErrors.transErr).toBeNaN();
    expect(m.meanMatchErrors.scaleErr).toBeCloseTo(0.25, 12);
    // Pedestrian: no match → 1 for every error; the means over the two classes follow.
    expect(m.meanTpErrors.transErr).toBeCloseTo(0.75, 12);
    // At 2 m: TP 1, FP 1, FN 1 → P = R = F1 = 0.5.
    expect(m.atTpThreshold).toEqual({ tp: 1, fp: 1, fn: 1, precision: 0.5, recall: 0.5, f1: 0.5 });

    // With the car declared symmetric over 180°, a π yaw error counts as 0.
    const flipped = evaluateDetections(truth, [{ ...preds[0], yawRad: Math.PI } as PredictedBox], {
      distanceThresholdsM: [2],
      tpThresholdM: 2,
      minRecall: 0.1,
      minPrecision: 0.1,
      classNames: ['car'],
      halfPeriodYawClasses: ['car'],
    });
    expect(flipped.classes[0]?.tpErrors.orientErr).toBeCloseTo(0, 12);
  });

  it('takes predictions by descending score: the confident one claims the truth box', () => {
    // Two predictions near one car: the 0.9 one is 1.5 m away, the 0.5 one is exact. Greedy by score
    // gives the match to the 0.9 one (1.5 m) and makes the exact one a false positive.
    const truth: EvalBox[] = [{ sampleId: 's', className: 'car', center: [0, 0, 0], size: [1, 1, 1], yawRad: 0 }];
    const preds: PredictedBox[] = [
      { sampleId: 's', className: 'car', center: [0, 0, 0], size: [1, 1, 1], yawRad: 0, score: 0.5 },
      { sampleId: 's', className: 'car', center: [1.5, 0, 0], size: [1, 1, 1], yawRad: 0, score: 0.9 },
    ];
    const curve = accumulateDetections(truth, preds, 'car', 2);
    expect([curve.tp, curve.fp]).toEqual([1, 1]);
    expect(tpError(curve, 0.1, 'transErr')).toBeCloseTo(1.5, 12);
  });
});
