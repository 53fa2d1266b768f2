export type { SensorRecord, InputRecord, ClockOffsets } from './types.js';
export { rigTimeUs } from './types.js';
export {
  createAlignDiagnostics,
  ALIGN_EVENT_TYPES,
  type AlignDiagnostics,
  type AlignDiagnosticsOptions,
  type AlignEvent,
  type AlignEventType,
} from './diagnostics.js';
export type { StreamConfig } from './input-tracker.js';
export { BoundedBuffer, type BoundedBufferConfig, type BufferedRecord } from './bounded-buffer.js';
export { alignByPivot } from './alignByPivot.js';
export type {
  AlignedFrame,
  AlignedSample,
  ClosedBy,
  FrameMember,
  Interpolation,
  PivotAlignConfig,
  PivotConfig,
  PivotInputConfig,
  Presence,
  SelectRule,
} from './pivot-aligner.js';
export {
  alignApproximateTime,
  type ApproximateInputConfig,
  type ApproximateSet,
  type ApproximateSetMember,
  type ApproximateTimeConfig,
} from './alignApproximateTime.js';
export { mergeInCaptureOrder, type MergeInCaptureOrderConfig, type MergeInputConfig } from './mergeInCaptureOrder.js';
export { dropDuplicates, type DropDuplicatesConfig } from './dropDuplicates.js';
export { dropLate, type DropLateConfig } from './dropLate.js';
export { interpolateLinear, interpolationFraction, slerpQuaternion } from './interpolate.js';
export {
  ClockOffsetEstimator,
  type ClockOffsetEstimate,
  type ClockOffsetEstimatorConfig,
} from './clock-offset.js';
export { estimateClockOffset, type SensorClockEstimate } from './estimateClockOffset.js';
