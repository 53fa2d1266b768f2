export { update, createFusionState, modalityOfInput, type UpdateContext, type UpdateResult } from './core/update.js';
export { resolveCalibration } from './core/calibration.js';
export { toFusedDetections, serializeFusionState, deserializeFusionState } from './core/output.js';
export { DEFAULT_FUSION_PARAMS } from './core/params.js';
export {
  boxCorners, composeTransforms, invertRigid, iou, projectCornersToImage, projectPoint, transformFrom,
} from './core/geometry.js';
export { projectIntoCamera, matchCameraBoxes, matchAudioEvents, type BodyBox, type EgoDelta } from './core/associate.js';
export type {
  FusedObject, FusionEvent, FusionOutput, FusionParams, FusionPayload, FusionState, ModalityEvidence, ModalityPresence,
  ResolvedCalibration, ResolvedCamera, TrackOutput, TrackRecord, Transform,
} from './core/types.js';
export {
  createFusionWorker, rigAlignConfig, FUSION_SERVICE, UnknownCameraError, encodeCheckpoint, decodeCheckpoint,
  CheckpointMismatchError, checkpointBody, restoreBody, INSTANCE_HEADER,
} from './worker.js';
export type { FusionCheckpoint, FusionWorker, FusionWorkerOptions, FusionWorkerStats } from './worker.js';
export { CalibrationRegistry, CalibrationFormatError, CalibrationMissingError, calibrationKey } from './calibration-registry.js';
export type { CalibrationChange, CalibrationRegistryOptions } from './calibration-registry.js';
export { fusionConfigSchema, fusionParamsSchema, loadFusionConfig, defaultFusionParams, FUSION_ENV_PREFIX } from './config.js';
export type { FusionConfig } from './config.js';
