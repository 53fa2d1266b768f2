export {
  add, asymmetry, cholesky, choleskySolve, identity, isSymmetricPositiveDefinite, mahalanobisSquared, multiply,
  multiplyABt, repairCovariance, spdInverse, subtract, symmetrize, transpose, zeros,
} from './linalg.js';
export type { CovarianceRepair, Matrix } from './linalg.js';
export { constantVelocityModel, josephUpdate, KalmanWorkspace, LinearKalmanFilter } from './kalman.js';
export type { UpdateOutcome } from './kalman.js';
export { chiSquareCdf, chiSquareQuantile, regularizedGammaP } from './chiSquare.js';
export { EnuFrame, geodeticToEcef, WGS84_A, WGS84_E2, WGS84_F } from './geodetic.js';
export {
  quatFromEuler, quatFromMatrix, quatFromRotationVector, quatMultiply, quatNormalize, quaternion, quatSlerp,
  quatToEuler, quatToMatrix, wrapAngle,
} from './quaternion.js';
export type { Quaternion } from './quaternion.js';
export { AttitudeFilter, headingInnovation } from './attitudeFilter.js';
export type { AttitudeNoise } from './attitudeFilter.js';
export { INS_STATES, InsFilter } from './insFilter.js';
export type { InsNoise } from './insFilter.js';
export { PoseHistory } from './poseHistory.js';
export { DEFAULT_MOTION_PARAMS, MotionEstimator } from './motionEstimator.js';
export type { MotionEstimatorParams, SampleOutcome } from './motionEstimator.js';
export { InvalidSampleValueError, InvalidTimestampError, MotionSampleRejectedError } from './errors.js';
export type { TimestampRejectReason, ValueRejectReason } from './errors.js';
export type {
  EgoMotion, EgoState, EnuOrigin, GnssSample, ImuSample, MagSample, MotionFlag, MotionMode, MotionSample, MotionStats,
  Vec3,
} from './types.js';
export { circleTruth, DEFAULT_CIRCLE_DRIVE, gaussianSource, simulateCircleDrive } from './circleDrive.js';
export type { CircleDriveOptions, TruthPoint } from './circleDrive.js';
export { ctrvModel, ExtendedKalmanFilter } from './ekf.js';
export type { MeasurementModel, MotionModel } from './ekf.js';
