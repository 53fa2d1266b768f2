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
