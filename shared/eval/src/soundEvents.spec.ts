import { describe, expect, it } from 'vitest';
import { InvalidEvalInputError } from './errors.js';
import { circularDifference, evaluateSoundEvents, type SoundEvent } from './soundEvents.js';

const ev = (className: string, onsetMs: number, offsetMs: number, bearingDeg?: number): SoundEvent => ({
  className,
  onsetUs: onsetMs * 1000,
  offsetUs: offsetMs * 1000,
  ...(bearingDeg === undefined ? {} : { bearingRad: (bearingDeg * Math.PI) / 180 }),
});

describe('evaluateSoundEvents: sed_eval reference values', () => {
  it('reproduces sed_eval (optimal matching) on the audmetric test case 0: Ntp 4 of 10/10, F 0.4', () => {
    // audeering/audmetric tests/assets/event_based/0: truth.csv, prediction.csv (one class) and result.csv,
    // written by sed_eval.sound_event.EventBasedMetrics(t_collar=0.2, evaluate_offset=True,
    // percentage_of_length=0.4, event_matching_type="optimal"). Times rounded to µs (no pair lies within
    // 1 µs of a collar edge).
    const us = (pairs: [number, number][]): SoundEvent[] =>
      pairs.map(([onsetUs, offsetUs]) => ({ className: 'label_0', onsetUs, offsetUs }));
    const truth = us([
      [1876599, 2202357], [3241460, 3647026], [515, 261850], [1360497, 1823932], [660402, 868618],
      [415524, 816664], [838171, 1163362], [1555023, 1922630], [1785454, 2027570], [2424675, 2684106],
    ]);
    const prediction = us([
      [3603351, 3832855], [4357177, 4683509], [1410409, 1897776], [3115452, 3475401], [3943751, 4351314],
      [4025730, 4320385], [382699, 788649], [175747, 626134], [764237, 969723], [3951641, 4376685],
    ]);
    const m = evaluateSoundEvents(truth, prediction, {
      onsetCollarUs: 200_000,
      evaluateOffset: true,
      percentageOfLength: 0.4,
    });
    const c = m.classWise.label_0;
    expect([c?.numReference, c?.numEstimated, c?.tp, c?.fn, c?.fp]).toEqual([10, 10, 4, 6, 6]);
    expect(m.classWiseMacroF1).toBeCloseTo(0.4, 12); // result.csv "uaf" 0.4000000000000001
    expect(m.overall.f1).toBeCloseTo(0.4, 12);
  });

  it('reproduces sed_eval on the audmetric test case 1: five classes, 1 s collars, class-wise F mean 0.04', () => {
    // audeering/audmetric tests/assets/event_based/1 (sed_eval, t_collar=1.0, evaluate_offset=True,
    // percentage_of_length=0.0, optimal matching). [onsetUs, offsetUs, label_N] rounded to µs.
    const events = (rows: [number, number, number][]): SoundEvent[] =>
      rows.map(([onsetUs, offsetUs, label]) => ({ className: `label_${label}`, onsetUs, offsetUs }));
    const truth = events([
      [24721527, 29335135, 0], [18704141, 20254040, 2], [7011100, 8568205, 4], [19731983, 23961548, 1],
      [2580650, 5171358, 1], [11197338, 12858755, 2], [22714888, 27424922, 0], [7340354, 9731417, 1],
      [7194383, 11197632, 2], [3250714, 7154706, 2], [484174, 5017398, 1], [16970888, 20465577, 1],
      [5290703, 9294473, 1], [6638666, 9034260, 2], [12289329, 14369041, 1], [1334064, 5917609, 0],
      [14352940, 17065305, 4], [3668214, 8527575, 2], [14732638, 18386404, 3], [17493959, 20980742, 0],
      [2558361, 4017345, 4], [10351400, 15149357, 4], [17360004, 20159652, 0], [10354482, 13668040, 1],
      [1248836, 3881384, 3], [13397410, 15345518, 3], [16594866, 21208384, 4], [12872228, 16166946, 2],
      [23614869, 24626350, 4], [14663876, 18132456, 3],
    ]);
    const prediction = events([
      [8166123, 9855485, 1], [13176453, 14724996, 2], [22148552, 26878934, 4], [8931744, 12719017, 4],
      [22713379, 23977379, 2], [15584003, 19605855, 2], [395531, 4411036, 0], [23235931, 27928029, 1],
      [17272423, 21118522, 3], [24933071, 26430155, 2],
    ]);
    const m = evaluateSoundEvents(truth, prediction, {
      onsetCollarUs: 1_000_000,
      evaluateOffset: true,
      percentageOfLength: 0,
    });
    // result.csv: Nref / Nsys / Ntp per class.
    const expected: Record<string, [number, number, number]> = {
      label_0: [5, 1, 0],
      label_1: [8, 2, 1],
      label_2: [7, 4, 0],
      label_3: [4, 1, 0],
      label_4: [6, 2, 0],
    };
    for (const [label, [nRef, nSys, nTp]] of Object.entries(expected)) {
      const c = m.classWise[label];
      expect([c?.numReference, c?.numEstimated, c?.tp], label).toEqual([nRef, nSys, nTp]);
    }
    // uaf 0.04 = mean(0, 2·1/(8+2), 0, 0, 0).
    expect(m.classWiseMacroF1).toBeCloseTo(0.04, 12);
  });
});

describe('evaluateSoundEvents (hand-computed)', () => {
  it('200 ms onset collar is inclusive, class must match, offsets ignored by default', () => {
    const ref = [ev('siren', 1000, 3000), ev('horn', 5000, 5200), ev('bark', 8000, 8300)];
    const est = [
      ev('siren', 1200, 1500), // |Δonset| = 200 ms exactly → hit (offset far off, not evaluated)
      ev('horn', 5200.001, 5300), // 200.001 ms → not a hit
      ev('speech', 8100, 8300), // right time, wrong class → substitution
    ];
    const m = evaluateSoundEvents(ref, est);
    // TP 1 of 3 reference and 3 estimated: P = R = F1 = 1/3.
    expect(m.overall.tp).toBe(1);
    expect(m.overall.precision).toBeCloseTo(1 / 3, 12);
    expect(m.overall.recall).toBeCloseTo(1 / 3, 12);
    expect(m.overall.f1).toBeCloseTo(1 / 3, 12);
    // Error rate as sed_eval: S = 1 (bark↔speech); D = 3 − 1 − 1 = 1; I = 3 − 1 − 1 = 1; ER = 3/3.
    expect([m.overall.substitutions, m.overall.deletions, m.overall.insertions]).toEqual([1, 1, 1]);
    expect(m.overall.errorRate).toBeCloseTo(1, 12);
    // Class-wise: siren F1 1, horn 0 (1 ref, 1 est, no hit), bark 0 (1 ref, 0 est), speech 0 (0 ref, 1 est).
    expect(m.classWise.siren?.f1).toBe(1);
    expect(m.classWise.horn?.f1).toBe(0);
    expect(m.classWise.bark?.f1).toBe(0);
    expect(m.classWise.speech?.f1).toBe(0);
    expect(m.classWiseMacroF1).toBeCloseTo(0.25, 12);
  });

  it('matches to maximise hits: a greedy first-come pairing would lose one', () => {
    // est A (onset 1.15 s) is within the collar of both refs (1.0 s, 1.3 s); est B (1.45 s) only of ref 1.3 s.
    // Best: A↔1.0, B↔1.3 → 2 hits.
    const m = evaluateSoundEvents([ev('horn', 1000, 1100), ev('horn', 1300, 1400)], [ev('horn', 1150, 1200), ev('horn', 1450, 1500)]);
    expect(m.overall.tp).toBe(2);
  });

  it('offset evaluation: collar max(200 ms, 50 % of the reference length)', () => {
    const ref = [ev('siren', 0, 2000)]; // length 2 s → offset collar 1 s
    expect(evaluateSoundEvents(ref, [ev('siren', 100, 2900)], { evaluateOffset: true }).overall.tp).toBe(1);
    expect(evaluateSoundEvents(ref, [ev('siren', 100, 3100)], { evaluateOffset: true }).overall.tp).toBe(0);
  });

  it('bearing error of matched events is circular: 350° vs 10° is 20°, not 340°', () => {
    const ref = [ev('siren', 0, 500, 350), ev('horn', 1000, 1200, 90)];
    const est = [ev('siren', 50, 500, 10), ev('horn', 1000, 1200, 80)];
    const m = evaluateSoundEvents(ref, est);
    const rad = Math.PI / 180;
    expect(m.bearing.count).toBe(2);
    expect(m.bearing.meanAbsErrorRad).toBeCloseTo(15 * rad, 12); // (20 + 10)/2
    expect(m.bearing.rmsErrorRad).toBeCloseTo(Math.sqrt((400 + 100) / 2) * rad, 12);
    expect(m.bearing.maxAbsErrorRad).toBeCloseTo(20 * rad, 12);
    expect(circularDifference(-Math.PI + 0.1, Math.PI - 0.1)).toBeCloseTo(0.2, 12);
  });

  it('no events at all gives undefined ratios, and an event ending before it starts is rejected', () => {
    const m = evaluateSoundEvents([], []);
    expect(m.overall.f1).toBeNaN();
    expect(m.overall.errorRate).toBeNaN();
    expect(() => evaluateSoundEvents([ev('siren', 10, 5)], [])).toThrow(InvalidEvalInputError);
  });
});
