/* eslint-disable @typescript-eslint/no-non-null-assertion -- fixed-size typed-array reads (6×6 covariance, 3-vectors) */
/**
 * Attitude-only error-state Kalman filter (6 states: body-frame attitude error δθ, gyro bias δb_g).
 * The gyro integrates the quaternion; the accelerometer, when its norm is close to g, observes the
 * gravity direction (roll and pitch); the magnetometer observes heading only (its tilt-compensated
 * horizontal direction), so a disturbed field cannot corrupt roll and pitch.
 *
 * Chosen over a Mahony/Madgwick complementary filter because it yields a covariance (the output
 * contract needs one), gates outliers with the same chi-square test as the navigation filter,
 * weights the accelerometer by how dynamic the motion is, and reuses the shared Kalman update.
 */
import { josephUpdate, KalmanWorkspace, type UpdateOutcome } from './kalman.js';
import { zeros } from './linalg.js';
import { quatFromEuler, quatFromRotationVector, quatMultiply, quatNormalize, quatToEuler, quatToMatrix, wrapAngle } from './quaternion.js';

export interface AttitudeNoise {
  /** Gyro white noise density, rad/s/√Hz. */
  readonly gyroNoiseDensity: number;
  /** Gyro bias random walk, rad/s²/√Hz. */
  readonly gyroBiasRandomWalk: number;
  /** 1σ of the measured gravity direction when the body is not accelerating (rad). */
  readonly gravityDirectionStd: number;
  /** Extra direction σ per unit of |‖f‖ − g| / g, so dynamic phases trust the accelerometer less. */
  readonly gravityDynamicGain: number;
  readonly headingStdRad: number;
  readonly initialGyroBiasStd: number;
  readonly gravityMS2: number;
}

export class AttitudeFilter {
  /** Body → nav quaternion [w, x, y, z]. */
  readonly q = new Float64Array([1, 0, 0, 0]);
  readonly gyroBias = new Float64Array(3);
  /** 6×6 covariance of [δθ, δb_g]. */
  readonly p = zeros(6);
  yawKnown = false;
  private readonly noise: AttitudeNoise;
  private readonly ws = new KalmanWorkspace(6, 3);
  private readonly dx = new Float64Array(6);
  private readonly r = new Float64Array(9);
  private readonly h = new Float64Array(18);
  private readonly y = new Float64Array(3);
  private readonly rot = new Float64Array(9);
  private readonly dq = new Float64Array(4);
  private readonly fp = zeros(6);
  private readonly euler = new Float64Array(3);

  constructor(noise: AttitudeNoise) {
    this.noise = noise;
  }

  copyFrom(other: AttitudeFilter): void {
    this.q.set(other.q);
    this.gyroBias.set(other.gyroBias);
    this.p.set(other.p);
    this.yawKnown = other.yawKnown;
  }

  /** Level the filter from one accelerometer reading (FLU specific force); yaw 0 and unknown. */
  initialize(ax: number, ay: number, az: number, initialAttitudeStd: number): void {
    const roll = Math.atan2(ay, az);
    const pitch = Math.atan2(-ax, Math.hypot(ay, az));
    quatFromEuler(roll, pitch, 0, this.q);
    this.gyroBias.fill(0);
    this.p.fill(0);
    const a2 = initialAttitudeStd ** 2;
    const b2 = this.noise.initialGyroBiasStd ** 2;
    for (let i = 0; i < 3; i++) {
      this.p[i * 6 + i] = a2;
      this.p[(i + 3) * 6 + i + 3] = b2;
    }
    this.yawKnown = false;
  }

  /** Integrate one gyro reading over dtS; `coast` propagates uncertainty only (no gyro). */
  predict(gx: number, gy: number, gz: number, dtS: number, extraRateStd = 0): void {
    const wx = gx - this.gyroBias[0]!;
    const wy = gy - this.gyroBias[1]!;
    const wz = gz - this.gyroBias[2]!;
    quatFromRotationVector(wx * dtS, wy * dtS, wz * dtS, this.dq);
    quatMultiply(this.q, this.dq, this.q);
    quatNormalize(this.q);
    // F = [[I − [ω]ₓdt, −I dt], [0, I]]; P ← F P Fᵀ + Q, written out for the sparse F.
    const p = this.p;
    const fp = this.fp;
    for (let c = 0; c < 6; c++) {
      const t0 = p[c]!, t1 = p[6 + c]!, t2 = p[12 + c]!;
      fp[c] = t0 + dtS * (wz * t1 - wy * t2) - dtS * p[18 + c]!;
      fp[6 + c] = t1 + dtS * (wx * t2 - wz * t0) - dtS * p[24 + c]!;
      fp[12 + c] = t2 + dtS * (wy * t0 - wx * t1) - dtS * p[30 + c]!;
      fp[18 + c] = p[18 + c]!;
      fp[24 + c] = p[24 + c]!;
      fp[30 + c] = p[30 + c]!;
    }
    // P = (F·P)·Fᵀ: row r of result = F applied to row r of FP (as a column).
    for (let r = 0; r < 6; r++) {
      const o = r * 6;
      const t0 = fp[o]!, t1 = fp[o + 1]!, t2 = fp[o + 2]!;
      p[o] = t0 + dtS * (wz * t1 - wy * t2) - dtS * fp[o + 3]!;
      p[o + 1] = t1 + dtS * (wx * t2 - wz * t0) - dtS * fp[o + 4]!;
      p[o + 2] = t2 + dtS * (wy * t0 - wx * t1) - dtS * fp[o + 5]!;
      p[o + 3] = fp[o + 3]!;
      p[o + 4] = fp[o + 4]!;
      p[o + 5] = fp[o + 5]!;
    }
    const qa = (this.noise.gyroNoiseDensity ** 2 + extraRateStd ** 2) * dtS;
    const qb = this.noise.gyroBiasRandomWalk ** 2 * dtS;
    for (let i = 0; i < 3; i++) {
      p[i * 6 + i] = p[i * 6 + i]! + qa;
      p[(i + 3) * 6 + i + 3] = p[(i + 3) * 6 + i + 3]! + qb;
    }
  }

  /** Gravity-direction update from a specific-force reading; false when gated or too dynamic. */
  updateGravity(ax: number, ay: number, az: number, gate: number): UpdateOutcome {
    const norm = Math.sqrt(ax * ax + ay * ay + az * az);
    const g = this.noise.gravityMS2;
    if (!(norm > 0.2 * g && norm < 3 * g)) return 'gated';
    quatToMatrix(this.q, this.rot);
    // Predicted up direction in body: h = Rᵀ e_z (third row of R).
    const hx = this.rot[6]!, hy = this.rot[7]!, hz = this.rot[8]!;
    this.y[0] = ax / norm - hx;
    this.y[1] = ay / norm - hy;
    this.y[2] = az / norm - hz;
    const h = this.h;
    h.fill(0);
    // H_θ = [h]ₓ
    h[1] = -hz; h[2] = hy;
    h[6] = hz; h[8] = -hx;
    h[12] = -hy; h[13] = hx;
    const sigma = this.noise.gravityDirectionStd + this.noise.gravityDynamicGain * Math.abs(norm - g) / g;
    this.r.fill(0);
    this.r[0] = this.r[4] = this.r[8] = sigma * sigma;
    const outcome = josephUpdate(this.p, this.y, h, this.r, 3, this.ws, this.dx, gate);
    if (outcome === 'accepted') this.inject();
    return outcome;
  }

  /**
   * Heading update from a body-frame magnetometer reading. The first one after initialisation
   * sets yaw directly (a linearised update cannot fix an arbitrary initial yaw).
   */
  updateHeading(mx: number, my: number, mz: number, declinationRad: number, gate: number): UpdateOutcome {
    quatToMatrix(this.q, this.rot);
    const innovation = headingInnovation(this.rot, mx, my, mz, declinationRad);
    if (innovation === undefined) return 'singular';
    if (!this.yawKnown) {
      quatToEuler(this.q, this.euler);
      quatFromEuler(this.euler[0]!, this.euler[1]!, wrapAngle(this.euler[2]! + innovation), this.q);
      // Reset the attitude block's yaw part: drop correlations, set σ to the heading noise.
      this.yawKnown = true;
      const v = this.noise.headingStdRad ** 2;
      for (let i = 0; i < 3; i++) this.p[i * 6 + i] = Math.max(this.p[i * 6 + i]!, v);
      return 'accepted';
    }
    this.y[0] = innovation;
    this.h.fill(0);
    this.h[0] = this.rot[6]!;
    this.h[1] = this.rot[7]!;
    this.h[2] = this.rot[8]!;
    this.r[0] = this.noise.headingStdRad ** 2;
    const outcome = josephUpdate(this.p, this.y, this.h, this.r, 1, this.ws, this.dx, gate);
    if (outcome === 'accepted') this.inject();
    return outcome;
  }

  private inject(): void {
    quatFromRotationVector(this.dx[0]!, this.dx[1]!, this.dx[2]!, this.dq);
    quatMultiply(this.q, this.dq, this.q);
    quatNormalize(this.q);
    for (let i = 0; i < 3; i++) this.gyroBias[i] = this.gyroBias[i]! + this.dx[3 + i]!;
  }
}

/**
 * Heading innovation (measured − predicted nav yaw, rad) from a body magnetometer reading, using
 * the estimated tilt (rotation matrix `rot`, body → ENU). Magnetic north lies `declinationRad`
 * east of true north, i.e. at ENU angle π/2 − declination. Undefined when the field is vertical.
 */
export function headingInnovation(
  rot: Float64Array,
  mx: number,
  my: number,
  mz: number,
  declinationRad: number,
): number | undefined {
  const me = rot[0]! * mx + rot[1]! * my + rot[2]! * mz;
  const mn = rot[3]! * mx + rot[4]! * my + rot[5]! * mz;
  if (Math.hypot(me, mn) < 1e-9 * Math.hypot(mx, my, mz) || !Number.isFinite(me + mn)) return undefined;
  return wrapAngle(Math.PI / 2 - declinationRad - Math.atan2(mn, me));
}
