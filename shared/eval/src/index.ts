export { InvalidEvalInputError } from './errors.js';
export { solveAssignment, type AssignmentPair } from './assignment.js';
export {
  accumulateDetections,
  averagePrecision,
  centerDistance,
  CURVE_POINTS,
  evaluateDetections,
  NUSCENES_DETECTION_CONFIG,
  scaleIou,
  TP_METRIC_NAMES,
  tpError,
  yawDifference,
  type ClassDetectionMetrics,
  type DetectionCurve,
  type DetectionEvalConfig,
  type DetectionMetrics,
  type EvalBox,
  type PrecisionRecall,
  type PredictedBox,
  type TpMetricName,
} from './detection.js';
export {
  computeMotMetrics,
  evaluateTracking,
  MotAccumulator,
  type MotEvent,
  type MotEventType,
  type MotMetrics,
  type TrackedPoint,
  type TrackId,
  type TrackingFrame,
} from './mot.js';
export {
  circularDifference,
  evaluateSoundEvents,
  type SoundEvent,
  type SoundEventCounts,
  type SoundEventEvalOptions,
  type SoundEventMetrics,
} from './soundEvents.js';
export { attitudeErrorRad, evaluateEgoState, type EgoStateMetrics, type EgoStateSample } from './ego.js';
export { percentileOfSorted, summarizeLatency, type LatencySummary, type PercentileMethod } from './latency.js';
export { renderReportMarkdown, reportToJson, writeReport, type EvalReport, type ScenarioReport } from './report.js';
