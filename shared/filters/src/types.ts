import type { Micros } from '@sensorfuse/time';

/** Three components, e.g. x/y/z of a body-frame vector or east/north/up. */
export type Vec3 = readonly [number, number, number];

/**
 * One IMU reading in the body frame FLU (x forward, y left, z up): angular rate and specific force
 * (at rest the accelerometer reads +g on z). `captureTimeUs` is the end of the sampling interval.
 */
export interface ImuSample {
  readonly kind: 'imu';
  readonly captureTimeUs: Micros;
  readonly gyroRadS: Vec3;
  readonly accelMS2: Vec3;
}

/** One GNSS fix: WGS-84 latitude/longitude (degrees) and ellipsoidal height, 1σ accuracies. */
export interface GnssSample {
  readonly kind: 'gnss';
  readonly captureTimeUs: Micros;
  readonly latDeg: number;
  readonly lonDeg: number;
  readonly heightM: number;
  readonly horizontalStdM: number;
  readonly verticalStdM: number;
  /** East/north/up velocity, when the receiver reports one. */
  readonly velocityEnuMS?: Vec3;
  readonly velocityStdMS?: number;
}

/** One magnetometer reading in the body frame FLU; any unit (only the direction is used). */
export interface MagSample {
  readonly kind: 'mag';
  readonly captureTimeUs: Micros;
  readonly fieldBody: Vec3;
}

export type MotionSample = ImuSample | GnssSample | MagSample;

/** initializing: no IMU yet; attitude: roll/pitch/yaw only (no GNSS anchor yet); ins: full navigation. */
export type MotionMode = 'initializing' | 'attitude' | 'ins';

export type MotionFlag =
  | 'position-unknown'
  | 'heading-unknown'
  | 'gnss-timeout'
  | 'mag-timeout'
  | 'imu-timeout'
  | 'imu-gap'
  | 'imu-interpolated';

/** Geodetic anchor of the local ENU frame (the first good GNSS fix). */
export interface EnuOrigin {
  readonly latDeg: number;
  readonly lonDeg: number;
  readonly heightM: number;
}

/**
 * Ego state at `captureTimeUs`, in the local ENU frame. `covariance` is the 15×15 error-state
 * covariance (row-major) in the order δposition(3) δvelocity(3) δattitude(3, body-frame rotation
 * vector, rad) δaccelBias(3) δgyroBias(3); blocks the current mode does not estimate hold
 * `unknownVariance`.
 */
export interface EgoState {
  readonly captureTimeUs: Micros;
  readonly mode: MotionMode;
  readonly origin: EnuOrigin | undefined;
  readonly positionEnuM: Vec3;
  readonly velocityEnuMS: Vec3;
  /** Body (FLU) → ENU rotation, [w, x, y, z]. */
  readonly orientation: readonly [number, number, number, number];
  readonly rollRad: number;
  readonly pitchRad: number;
  /** Heading of body x from east, counter-clockwise (ENU convention). */
  readonly yawRad: number;
  readonly angularVelocityBodyRadS: Vec3;
  readonly accelBiasMS2: Vec3;
  readonly gyroBiasRadS: Vec3;
  readonly covariance: Float64Array;
  readonly flags: readonly MotionFlag[];
}

/** Relative motion of the body from t1 to t2: pose of body(t2) expressed in body(t1). */
export interface EgoMotion {
  readonly fromUs: Micros;
  readonly toUs: Micros;
  readonly translationBodyM: Vec3;
  /** Rotation body(t2) → body(t1), [w, x, y, z]. */
  readonly rotation: readonly [number, number, number, number];
  /** The same translation in the ENU frame. */
  readonly translationEnuM: Vec3;
  readonly yawChangeRad: number;
}

/** Counters since construction; each says how often something a user may care about happened. */
export interface MotionStats {
  imuSamples: number;
  gnssSamples: number;
  magSamples: number;
  gnssAccepted: number;
  gnssRejected: number;
  gnssResets: number;
  magAccepted: number;
  magRejected: number;
  gravityRejected: number;
  imuInterpolatedSteps: number;
  imuGaps: number;
  imputedFields: number;
  covarianceRepairs: number;
  numericResets: number;
  replays: number;
  late: number;
  rejected: number;
}
