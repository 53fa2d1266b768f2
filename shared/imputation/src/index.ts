export { InvalidSeriesError, UnitMismatchError, UnknownUnitError } from './errors.js';
export { dimensionOf, SI_UNIT, spanToSi, toSi, unitConversion } from './units.js';
export type { Dimension, UnitConversion } from './units.js';
export { HampelWindow, hampelFilter, MAD_TO_SIGMA, median, medianFilter } from './robust.js';
export type { HampelOptions, HampelResult, HampelVerdict } from './robust.js';
export { ScalarKalman } from './kalman1d.js';
export type { Estimate, ProcessModel, ScalarKalmanOptions } from './kalman1d.js';
export { StuckDetector } from './stuck.js';
export { SimpleRls } from './rls.js';
export type { RlsPrediction } from './rls.js';
export {
  bridgeEstimate, estimateLocalLevel, IMPUTATION_METHODS, imputeSeries, smoothLocalLevel,
} from './impute.js';
export type { ImputationMethod, ImputeSeriesOptions, LocalLevelParams, LocalLevelSmoothing, SeriesImputation } from './impute.js';
export { interpolateSensorState } from './interpolate-state.js';
export { intervalHalfWidth, normalQuantile, studentTQuantile } from './quantiles.js';
export { chiSquareDraw, gaussian, seededRandom } from './random.js';
export type { RandomSource } from './random.js';
export { DEFAULT_SENSOR_PROFILES } from './profiles.js';
export type { SensorProfile } from './profiles.js';
export { removeSamples, syntheticSignal } from './synthetic.js';
export type { GapPattern, SyntheticSignal } from './synthetic.js';
