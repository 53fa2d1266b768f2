import type { SensorState } from '@sensorfuse/schemas';

/**
 * A SensorState between two states of one sensor at `fraction` ∈ [0, 1] (0 = before, 1 = after),
 * for the aligner's interpolate-at-pivot inputs (sensor worker, fusion worker's `deviceState`).
 *
 * - values and std linearly; the std mix is conservative (never below either end's share). A
 *   component the after state lacks keeps the before state's value.
 * - no extrapolation: a fraction outside [0, 1] is clamped, so the result is one end's values.
 * - outlier / stuck / outOfRange OR-ed; imputed when either end was, with that end's method (the
 *   before end's when both were); sinceMeasuredUs the larger of the two: a gap filled on either side
 *   stays visible.
 * - measured is empty (no reading was taken at the interpolated time); every other field (times,
 *   seq, ids, draws, predictors) comes from the nearer end, the after end at exactly 0.5. Computing
 *   the fraction from times is the caller's business.
 */
export function interpolateSensorState(before: SensorState, after: SensorState, fraction: number): SensorState {
  const w = Math.min(1, Math.max(0, fraction));
  const mix = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => (1 - w) * x + w * (b[i] ?? x));
  const imputed = before.imputed || after.imputed;
  return {
    ...(w < 0.5 ? before : after),
    values: mix(before.values, after.values),
    std: mix(before.std, after.std),
    measured: [],
    outlier: before.outlier || after.outlier,
    stuck: before.stuck || after.stuck,
    outOfRange: before.outOfRange || after.outOfRange,
    imputed,
    imputationMethod: imputed ? (before.imputed ? before.imputationMethod : after.imputationMethod) : 'none',
    sinceMeasuredUs: Math.max(before.sinceMeasuredUs, after.sinceMeasuredUs),
  };
}
