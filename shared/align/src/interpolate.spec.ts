import { describe, expect, it } from 'vitest';
import { interpolateLinear, interpolationFraction, slerpQuaternion } from './interpolate.js';

describe('interpolation helpers', () => {
  it('fraction of the target between its bracketing samples', () => {
    expect(interpolationFraction(100, 110, 105)).toBe(0.5);
    expect(interpolationFraction(100, 110, 102.5)).toBe(0.25);
    expect(interpolationFraction(100, 100, 100)).toBe(0);
  });

  it('linear: velocity (1, −2, 4) → (3, 2, 4) at a quarter is (1.5, −1, 4)', () => {
    expect(Array.from(interpolateLinear([1, -2, 4], [3, 2, 4], 0.25))).toEqual([1.5, -1, 4]);
    expect(() => interpolateLinear([1], [1, 2], 0.5)).toThrow(RangeError);
  });

  it('slerp: halfway between identity and 90° about z is 45° about z', () => {
    const s = Math.SQRT1_2;
    const q = slerpQuaternion([0, 0, 0, 1], [0, 0, s, s], 0.5);
    // By hand: 45° about z = [0, 0, sin 22.5°, cos 22.5°].
    expect(q[2]).toBeCloseTo(Math.sin(Math.PI / 8), 12);
    expect(q[3]).toBeCloseTo(Math.cos(Math.PI / 8), 12);
    // A third of the way: 30° about z (slerp is constant angular rate, lerp would not be).
    const t = slerpQuaternion([0, 0, 0, 1], [0, 0, s, s], 1 / 3);
    expect(2 * Math.atan2(t[2] ?? 0, t[3] ?? 0)).toBeCloseTo(Math.PI / 6, 12);
  });

  it('slerp takes the short way when the quaternions have opposite signs', () => {
    const s = Math.SQRT1_2;
    // [0,0,−s,−s] is the same 90° rotation as [0,0,s,s].
    const q = slerpQuaternion([0, 0, 0, 1], [0, 0, -s, -s], 0.5);
    expect(Math.abs(2 * Math.atan2(q[2] ?? 0, q[3] ?? 0))).toBeCloseTo(Math.PI / 4, 12);
  });

  it('slerp of nearly equal orientations stays unit length', () => {
    const q = slerpQuaternion([0, 0, 0, 1], [0, 0, 1e-6, 1], 0.5);
    expect(Math.hypot(...q)).toBeCloseTo(1, 12);
  });
});
