import { describe, expect, it } from 'vitest';
import { attitudeErrorRad, evaluateEgoState, type EgoStateSample } from './ego.js';
import { InvalidEvalInputError } from './errors.js';

/** Rotation of `angleRad` about z as a quaternion [w, x, y, z]. */
const yawQ = (angleRad: number): [number, number, number, number] => [Math.cos(angleRad / 2), 0, 0, Math.sin(angleRad / 2)];

const sample = (
  timeUs: number,
  position: [number, number, number],
  velocity: [number, number, number] = [0, 0, 0],
  orientation: [number, number, number, number] = [1, 0, 0, 0],
): EgoStateSample => ({ timeUs, position, velocity, orientation });

describe('attitudeErrorRad', () => {
  it('is the rotation angle between the two attitudes, in [0, π]', () => {
    expect(attitudeErrorRad([1, 0, 0, 0], yawQ(0.2))).toBeCloseTo(0.2, 12);
    // q and −q are the same rotation.
    expect(attitudeErrorRad(yawQ(0.3), yawQ(0.3).map((v) => -v) as [number, number, number, number])).toBeCloseTo(0, 7);
    // 350° about z is 10° the other way.
    expect(attitudeErrorRad([1, 0, 0, 0], yawQ((350 * Math.PI) / 180))).toBeCloseTo((10 * Math.PI) / 180, 12);
    // Rotations about different axes: 90° about x vs 90° about y → 120° apart
    // (relative quaternion scalar = cos²45° = 0.5 → angle 2·acos(0.5) = 120°).
    const s = Math.SQRT1_2;
    expect(attitudeErrorRad([s, s, 0, 0], [s, 0, s, 0])).toBeCloseTo((2 * Math.PI) / 3, 12);
    // Tiny angles keep their precision (1 µrad).
    expect(attitudeErrorRad([1, 0, 0, 0], yawQ(1e-6))).toBeCloseTo(1e-6, 15);
    expect(() => attitudeErrorRad([0, 0, 0, 0], [1, 0, 0, 0])).toThrow(InvalidEvalInputError);
  });
});

describe('evaluateEgoState (hand-computed)', () => {
  it('RMSE of position, velocity and attitude over paired samples', () => {
    const truth = [sample(0, [0, 0, 0]), sample(100_000, [1, 0, 0]), sample(200_000, [2, 0, 0])];
    const est = [
      sample(0, [3, 4, 0], [1, 0, 0], yawQ(0.1)), // position error 5, velocity 1, attitude 0.1
      sample(100_000, [1, 0, 2], [0, 0, 0], yawQ(-0.3)), // 2 (vertical only), 0, 0.3
    ];
    const m = evaluateEgoState(truth, est);
    expect(m.count).toBe(2);
    expect(m.unpaired).toBe(0);
    expect(m.positionRmseM).toBeCloseTo(Math.sqrt((25 + 4) / 2), 12);
    expect(m.horizontalPositionRmseM).toBeCloseTo(Math.sqrt(25 / 2), 12);
    expect(m.velocityRmseMps).toBeCloseTo(Math.sqrt(1 / 2), 12);
    expect(m.attitudeRmseRad).toBeCloseTo(Math.sqrt((0.01 + 0.09) / 2), 12);
    expect(m.maxPositionErrorM).toBeCloseTo(5, 12);
    expect(m.maxAttitudeErrorRad).toBeCloseTo(0.3, 12);
  });

  it('pairs with the nearest truth sample within maxTimeGapUs and counts the rest as unpaired', () => {
    const truth = [sample(0, [0, 0, 0]), sample(100_000, [10, 0, 0])];
    const est = [sample(40_000, [0, 1, 0]), sample(70_000, [10, 0, 0]), sample(500_000, [0, 0, 0])];
    const exact = evaluateEgoState(truth, est);
    expect([exact.count, exact.unpaired]).toEqual([0, 3]);
    expect(exact.positionRmseM).toBeNaN();
    const loose = evaluateEgoState(truth, est, { maxTimeGapUs: 50_000 });
    // 40 ms → truth at 0 (error 1); 70 ms → truth at 100 ms (error 0); 500 ms → unpaired.
    expect([loose.count, loose.unpaired]).toEqual([2, 1]);
    expect(loose.positionRmseM).toBeCloseTo(Math.sqrt(1 / 2), 12);
  });
});
