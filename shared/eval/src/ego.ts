import { InvalidEvalInputError } from './errors.js';

/** One ego state: position (m), velocity (m/s) and attitude as a unit quaternion [w, x, y, z]. */
export interface EgoStateSample {
  readonly timeUs: number;
  readonly position: readonly [number, number, number];
  readonly velocity: readonly [number, number, number];
  readonly orientation: readonly [number, number, number, number];
}

export interface EgoStateMetrics {
  /** Estimates paired with a truth sample. */
  readonly count: number;
  /** Estimates with no truth sample within `maxTimeGapUs`. */
  readonly unpaired: number;
  /** sqrt(mean |p̂ − p|²) over the 3 axes together. */
  readonly positionRmseM: number;
  /** Same on x and y only. */
  readonly horizontalPositionRmseM: number;
  readonly velocityRmseMps: number;
  /** sqrt(mean θ²) with θ the rotation angle of q⁻¹ ⊗ q̂ (in [0, π]). */
  readonly attitudeRmseRad: number;
  readonly maxPositionErrorM: number;
  readonly maxAttitudeErrorRad: number;
}

/** Rotation angle in [0, π] between two attitudes: the angle of the relative quaternion a⁻¹ ⊗ b. */
export function attitudeErrorRad(
  a: readonly [number, number, number, number],
  b: readonly [number, number, number, number],
): number {
  const na = Math.hypot(a[0], a[1], a[2], a[3]);
  const nb = Math.hypot(b[0], b[1], b[2], b[3]);
  if (!(na > 0 && nb > 0)) {
    throw new InvalidEvalInputError(`quaternions must be non-zero, found [${a.join(', ')}] and [${b.join(', ')}]`);
  }
  // Relative quaternion a* ⊗ b (scalar w, vector v); q and −q are the same rotation, hence |w|.
  // 2·atan2(|v|, |w|) keeps full precision near 0, where 2·acos(w) loses half the digits.
  const [a0, a1, a2, a3] = a;
  const [b0, b1, b2, b3] = b;
  const w = Math.abs(a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3) / (na * nb);
  const vx = a0 * b1 - a1 * b0 - a2 * b3 + a3 * b2;
  const vy = a0 * b2 + a1 * b3 - a2 * b0 - a3 * b1;
  const vz = a0 * b3 - a1 * b2 + a2 * b1 - a3 * b0;
  const v = Math.hypot(vx, vy, vz) / (na * nb);
  return 2 * Math.atan2(v, w);
}

/**
 * RMSE of an ego-state estimate against truth. Each estimate is paired with the truth sample nearest in
 * time if that is within `maxTimeGapUs` (default 0: exact timestamps); others are counted as unpaired.
 */
export function evaluateEgoState(
  truth: readonly EgoStateSample[],
  estimates: readonly EgoStateSample[],
  options: { maxTimeGapUs?: number } = {},
): EgoStateMetrics {
  const maxGap = options.maxTimeGapUs ?? 0;
  const sorted = [...truth].sort((a, b) => a.timeUs - b.timeUs);
  let n = 0;
  let unpaired = 0;
  let pos = 0;
  let hor = 0;
  let vel = 0;
  let att = 0;
  let maxPos = 0;
  let maxAtt = 0;
  for (const e of estimates) {
    const t = nearest(sorted, e.timeUs);
    if (t === undefined || Math.abs(t.timeUs - e.timeUs) > maxGap) {
      unpaired++;
      continue;
    }
    const dx = e.position[0] - t.position[0];
    const dy = e.position[1] - t.position[1];
    const dz = e.position[2] - t.position[2];
    const p2 = dx * dx + dy * dy + dz * dz;
    const dvx = e.velocity[0] - t.velocity[0];
    const dvy = e.velocity[1] - t.velocity[1];
    const dvz = e.velocity[2] - t.velocity[2];
    const a = attitudeErrorRad(t.orientation, e.orientation);
    n++;
    pos += p2;
    hor += dx * dx + dy * dy;
    vel += dvx * dvx + dvy * dvy + dvz * dvz;
    att += a * a;
    maxPos = Math.max(maxPos, Math.sqrt(p2));
    maxAtt = Math.max(maxAtt, a);
  }
  const rms = (s: number): number => (n === 0 ? Number.NaN : Math.sqrt(s / n));
  return {
    count: n,
    unpaired,
    positionRmseM: rms(pos),
    horizontalPositionRmseM: rms(hor),
    velocityRmseMps: rms(vel),
    attitudeRmseRad: rms(att),
    maxPositionErrorM: n === 0 ? Number.NaN : maxPos,
    maxAttitudeErrorRad: n === 0 ? Number.NaN : maxAtt,
  };
}

function nearest(sorted: readonly EgoStateSample[], timeUs: number): EgoStateSample | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  if (hi < 0) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid]?.timeUs ?? 0) <= timeUs) lo = mid;
    else hi = mid;
  }
  const a = sorted[lo];
  const b = sorted[hi];
  if (a === undefined || b === undefined) return a ?? b;
  return Math.abs(a.timeUs - timeUs) <= Math.abs(b.timeUs - timeUs) ? a : b;
}
