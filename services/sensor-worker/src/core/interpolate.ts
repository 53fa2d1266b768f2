import type { SensorState } from '@sensorfuse/schemas';

/**
 * A SensorState between two of the same sensor at `fraction` ∈ [0, 1], for the aligner's
 * interpolate-at-pivot inputs: values linearly, std as the linear mix (conservative: never below
 * either end's share), flags OR-ed, imputed when either end was. Times are the caller's business.
 */
export function interpolateSensorState(before: SensorState, after: SensorState, fraction: number): SensorState {
  const w = Math.min(1, Math.max(0, fraction));
  const mix = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => (1 - w) * x + w * (b[i] ?? x));
  const nearer = w < 0.5 ? before : after;
  const imputed = before.imputed || after.imputed;
  return {
    ...nearer,
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
