import { describe, expect, it } from 'vitest';
import { InvalidEvalInputError } from './errors.js';
import { computeMotMetrics, evaluateTracking, MotAccumulator } from './mot.js';

const NaN_ = Number.NaN;

/**
 * The worked example of the py-motmetrics README ("Usage"): three frames, then the summaries the README
 * prints for the full accumulator, for its first two frames ("part"), and for both jointly ("OVERALL").
 */
function readmeFrames(acc: MotAccumulator, frames: number): void {
  const all: [number[], number[], number[][]][] = [
    [[1, 2], [1, 2, 3], [[0.1, NaN_, 0.3], [0.5, 0.2, 0.3]]],
    [[1, 2], [1], [[0.2], [0.4]]],
    [[1, 2], [1, 3], [[0.6, 0.2], [0.1, 0.6]]],
  ];
  for (const [o, h, d] of all.slice(0, frames)) acc.update(o, h, d);
}

describe('CLEAR-MOT and ID metrics: py-motmetrics README example', () => {
  it('records the events the README prints, including the switch that keeps the previous pairing', () => {
    const acc = new MotAccumulator();
    readmeFrames(acc, 3);
    // The README prints the four CLEAR-MOT event types; the newer ASCEND/TRANSFER/MIGRATE annotations
    // (counted in test_ids below) are left out here.
    const clearMot = new Set(['MATCH', 'SWITCH', 'MISS', 'FP']);
    const byFrame = (f: number): string[] =>
      acc.events
        .filter((e) => e.frameIndex === f && clearMot.has(e.type))
        .map((e) => `${e.type} ${e.objectId ?? '-'} ${e.hypothesisId ?? '-'} ${Number.isNaN(e.distance) ? 'nan' : e.distance}`);
    expect(byFrame(0)).toEqual(['MATCH 1 1 0.1', 'MATCH 2 2 0.2', 'FP - 3 nan']);
    expect(byFrame(1)).toEqual(['MATCH 1 1 0.2', 'MISS 2 - nan']);
    // Object 1 keeps hypothesis 1 (0.6) although (1, 3) would cost only 0.2: the CLEAR-MOT rule.
    expect(byFrame(2)).toEqual(['MATCH 1 1 0.6', 'SWITCH 2 3 0.6']);
  });

  it('full: MOTA 50 %, MOTP 0.340, IDF1/IDP/IDR/Rcll/Prcn 83.3 %, GT 2 MT 1 PT 1 ML 0 FP 1 FN 1 IDs 1 FM 1', () => {
    const acc = new MotAccumulator();
    readmeFrames(acc, 3);
    const m = computeMotMetrics(acc);
    expect(m.numFrames).toBe(3);
    // MOTA = 1 − (FN 1 + IDs 1 + FP 1) / 6 objects = 0.5; MOTP = (0.1+0.2+0.2+0.6+0.6)/5 = 0.34.
    expect(m.mota).toBeCloseTo(0.5, 12);
    expect(m.motp).toBeCloseTo(0.34, 12);
    // ID: the best global pairing (1↔1, 2↔3) explains 3 + 2 = 5 of 6 object and 6 hypothesis frames.
    expect(m.idtp).toBe(5);
    expect(m.idf1).toBeCloseTo(10 / 12, 12);
    expect(m.idp).toBeCloseTo(5 / 6, 12);
    expect(m.idr).toBeCloseTo(5 / 6, 12);
    expect(m.recall).toBeCloseTo(5 / 6, 12);
    expect(m.precision).toBeCloseTo(5 / 6, 12);
    expect([m.numUniqueObjects, m.mostlyTracked, m.partiallyTracked, m.mostlyLost]).toEqual([2, 1, 1, 0]);
    expect([m.numFalsePositives, m.numMisses, m.numSwitches, m.numFragmentations]).toEqual([1, 1, 1, 1]);
  });

  it('part (first two frames): IDF1 75 %, MOTA 50 %, MOTP 0.167, IDs 0, FM 0', () => {
    const acc = new MotAccumulator();
    readmeFrames(acc, 2);
    const m = computeMotMetrics(acc);
    expect(m.numFrames).toBe(2);
    expect(m.idf1).toBeCloseTo(0.75, 12); // 2·3 / (4 + 4)
    expect(m.mota).toBeCloseTo(0.5, 12); // 1 − (1 + 0 + 1)/4
    expect(m.motp).toBeCloseTo(0.5 / 3, 12); // (0.1 + 0.2 + 0.2)/3 = 0.1667
    expect([m.numUniqueObjects, m.mostlyTracked, m.partiallyTracked, m.mostlyLost]).toEqual([2, 1, 1, 0]);
    expect([m.numFalsePositives, m.numMisses, m.numSwitches, m.numFragmentations]).toEqual([1, 1, 0, 0]);
  });

  it('OVERALL of full + part: IDF1 80 %, MOTA 50 %, MOTP 0.275, GT 4 MT 2 PT 2 FP 2 FN 2 IDs 1 FM 1', () => {
    const full = new MotAccumulator();
    readmeFrames(full, 3);
    const part = new MotAccumulator();
    readmeFrames(part, 2);
    const m = computeMotMetrics([full, part]);
    expect(m.idf1).toBeCloseTo(0.8, 12); // 2·(5 + 3) / (10 + 10)
    expect(m.mota).toBeCloseTo(0.5, 12);
    expect(m.motp).toBeCloseTo(0.275, 12); // (1.7 + 0.5) / 8
    expect([m.numUniqueObjects, m.mostlyTracked, m.partiallyTracked, m.mostlyLost]).toEqual([4, 2, 2, 0]);
    expect([m.numFalsePositives, m.numMisses, m.numSwitches, m.numFragmentations]).toEqual([2, 2, 1, 1]);
  });
});

describe('CLEAR-MOT: py-motmetrics tests/test_metrics.py', () => {
  it('test_mota_motp: 4 matches, 2 FP, 2 misses, 2 switches, MOTA 0.25, MOTP 11.1/6', () => {
    const acc = new MotAccumulator();
    acc.update([], [1, 2], []); // all FP
    acc.update([1, 2], [], []); // all miss
    acc.update([1, 2], [1, 2], [[1, 0.5], [0.3, 1]]); // match (1↔2, 2↔1: 0.8 beats 2)
    acc.update([1, 2], [1, 2], [[0.2, NaN_], [NaN_, 0.1]]); // both switch
    acc.update([1, 2], [1, 2], [[5, 1], [1, 5]]); // better pairs exist, history wins
    acc.update([], [], []); // no data
    const m = computeMotMetrics(acc);
    expect(m.numMatches).toBe(4);
    expect(m.numFalsePositives).toBe(2);
    expect(m.numMisses).toBe(2);
    expect(m.numSwitches).toBe(2);
    expect(m.numDetections).toBe(6);
    expect(m.numObjects).toBe(8);
    expect(m.numPredictions).toBe(8);
    expect(m.mota).toBeCloseTo(1 - (2 + 2 + 2) / 8, 12);
    expect(m.motp).toBeCloseTo(11.1 / 6, 12);
    expect(m.numFrames).toBe(6);
  });

  it('test_extract_counts: frames in which each pair is within distance (the IDF1 input)', () => {
    const acc = new MotAccumulator();
    acc.update([], [1, 2], []);
    acc.update([1, 2], [], []);
    acc.update([1, 2], [1, 2], [[1, 0.5], [0.3, 1]]);
    acc.update([1, 2], [1, 2], [[0.2, NaN_], [NaN_, 0.1]]);
    acc.update([1, 2], [1, 2], [[5, 1], [1, 5]]);
    acc.update([], [], []);
    const { objectFrames, hypothesisFrames, pairFrames } = acc.idCounts();
    expect([...objectFrames]).toEqual([[1, 4], [2, 4]]);
    expect([...hypothesisFrames]).toEqual([[1, 4], [2, 4]]);
    expect(pairFrames.get(1)?.get(1)).toBe(3);
    expect(pairFrames.get(1)?.get(2)).toBe(2);
    expect(pairFrames.get(2)?.get(1)).toBe(2);
    expect(pairFrames.get(2)?.get(2)).toBe(3);
  });

  it('test_ids: 7 matches, 3 switches, 3 transfers, 1 ascend, 1 migrate, MOTA 0.7, MOTP 0.16', () => {
    const acc = new MotAccumulator();
    acc.update([], [], []);
    acc.update([1, 2], [1, 2], [[1, 0], [0, 1]]); // match
    acc.update([1, 2], [1, 2], [[0.4, NaN_], [NaN_, 0.4]]); // switch, also transfer
    acc.update([1, 2], [1, 2], [[0, 1], [1, 0]]); // match
    acc.update([1, 2], [2, 3], [[1, 0], [0.4, 0.7]]); // ascend (switch to a new hypothesis)
    acc.update([1, 3], [2, 3], [[1, 0], [0.4, 0.7]]); // migrate (transfer to a new object)
    acc.update([], [], []);
    const m = computeMotMetrics(acc);
    expect(m.numMatches).toBe(7);
    expect(m.numFalsePositives).toBe(0);
    expect(m.numMisses).toBe(0);
    expect(m.numSwitches).toBe(3);
    expect(m.numTransfer).toBe(3);
    expect(m.numAscend).toBe(1);
    expect(m.numMigrate).toBe(1);
    expect(m.numDetections).toBe(10);
    expect(m.numObjects).toBe(10);
    expect(m.numPredictions).toBe(10);
    expect(m.mota).toBeCloseTo(1 - 3 / 10, 12);
    expect(m.motp).toBeCloseTo(1.6 / 10, 12);
    expect(m.numFrames).toBe(7);
  });

  it('test_correct_average (figure 3 of the CLEAR-MOT paper): MOTA 0.2', () => {
    const acc = new MotAccumulator();
    for (let i = 0; i < 4; i++) acc.update([1, 2, 3, 4], [], []);
    for (let i = 0; i < 4; i++) acc.update([4], [4], [[0]]);
    // 20 object appearances, 16 missed: 1 − 16/20.
    expect(computeMotMetrics(acc).mota).toBeCloseTo(0.2, 12);
  });

  it('empty truth, empty predictions, both empty: FP/IDFP 16, misses/IDFN 16, all zero', () => {
    const onlyHyps = new MotAccumulator();
    const onlyObjs = new MotAccumulator();
    const none = new MotAccumulator();
    for (let i = 0; i < 4; i++) {
      onlyHyps.update([], [1, 2, 3, 4], []);
      onlyObjs.update([1, 2, 3, 4], [], []);
      none.update([], [], []);
    }
    const a = computeMotMetrics(onlyHyps);
    expect([a.numMatches, a.numFalsePositives, a.numMisses, a.idtp, a.idfp, a.idfn, a.numFrames]).toEqual([0, 16, 0, 0, 16, 0, 4]);
    const b = computeMotMetrics(onlyObjs);
    expect([b.numMatches, b.numFalsePositives, b.numMisses, b.idtp, b.idfp, b.idfn, b.numFrames]).toEqual([0, 0, 16, 0, 0, 16, 4]);
    const c = computeMotMetrics(none);
    expect([c.numMatches, c.numFalsePositives, c.numMisses, c.idtp, c.idfp, c.idfn, c.numFrames]).toEqual([0, 0, 0, 0, 0, 0, 4]);
  });

  it('test_metrics_with_no_events: MOTA and MOTP undefined (NaN), counts 0', () => {
    const m = computeMotMetrics(new MotAccumulator());
    expect(m.mota).toBeNaN();
    expect(m.motp).toBeNaN();
    expect([m.numPredictions, m.numObjects, m.numDetections, m.numFrames]).toEqual([0, 0, 0, 0]);
  });
});

describe('CLEAR-MOT on positions (hand-computed)', () => {
  it('counts a fragmentation, an ID switch and the IDF1 of a tracker that swaps ids after a gap', () => {
    // Truth A walks along y = 0, truth B along y = 10 (1 m per frame). The tracker follows A with id 7,
    // loses it in frame 2, and picks it up again in frames 3–4 under a new id 8; B is followed by id 9
    // throughout, plus one ghost track 5 m away from everything in frame 4.
    const frames = [0, 1, 2, 3, 4].map((k) => ({
      truth: [
        { id: 'A', x: k, y: 0 },
        { id: 'B', x: k, y: 10 },
      ],
      tracks: [
        ...(k < 2 ? [{ id: 7, x: k + 0.3, y: 0 }] : k > 2 ? [{ id: 8, x: k, y: 0.4 }] : []),
        { id: 9, x: k, y: 10.1 },
        ...(k === 4 ? [{ id: 99, x: 20, y: 5 }] : []),
      ],
    }));
    const m = evaluateTracking(frames, { maxDistanceM: 2 });
    // Objects 10; misses 1 (A in frame 2); FP 1 (ghost); switch 1 (A: 7 → 8).
    expect(m.numObjects).toBe(10);
    expect([m.numMisses, m.numFalsePositives, m.numSwitches, m.numFragmentations]).toEqual([1, 1, 1, 1]);
    expect(m.mota).toBeCloseTo(1 - 3 / 10, 12);
    // MOTP: A 0.3, 0.3, 0.4, 0.4; B 0.1 × 5 → (1.4 + 0.5) / 9.
    expect(m.motp).toBeCloseTo(1.9 / 9, 12);
    // IDF1: A can be paired globally with 7 or with 8 (2 frames each), B with 9 (5 frames): IDTP = 2 + 5 = 7.
    // Objects 10, predictions 2 + 2 + 5 + 1 = 10 → IDF1 = 14/20.
    expect(m.idtp).toBe(7);
    expect(m.idf1).toBeCloseTo(0.7, 12);
    // A is tracked 4/5 = 80 % → mostly tracked; B 100 %.
    expect(m.mostlyTracked).toBe(2);
  });

  it('gates pairs farther than maxDistanceM (a 2.5 m offset is a miss plus a false positive)', () => {
    const m = evaluateTracking([{ truth: [{ id: 1, x: 0, y: 0 }], tracks: [{ id: 1, x: 2.5, y: 0 }] }], {
      maxDistanceM: 2,
    });
    expect([m.numMatches, m.numMisses, m.numFalsePositives]).toEqual([0, 1, 1]);
  });

  it('rejects a duplicated id within a frame and a distance matrix of the wrong shape', () => {
    const acc = new MotAccumulator();
    expect(() => acc.update([1, 1], [2], [[0], [0]])).toThrow(InvalidEvalInputError);
    expect(() => acc.update([1, 2], [2], [[0]])).toThrow(InvalidEvalInputError);
  });
});
