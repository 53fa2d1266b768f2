/* eslint-disable @typescript-eslint/no-non-null-assertion -- fixed-size typed-array reads (15×15 covariance, 3-vectors) */
/**
 * Error-state Kalman filter for strapdown inertial navigation in a local ENU frame (Solà 2017,
 * "Quaternion kinematics for the error-state Kalman filter", §5 with body-frame attitude error).
 * Nominal state: position p, velocity v, attitude q (body FLU → ENU), accelerometer bias b_a,
 * gyro bias b_g. Error state (15): δp, δv, δθ, δb_a, δb_g.
 *
 * Prediction runs at the IMU rate with a hand-unrolled sparse F·P·Fᵀ (about 1/7 of the dense
 * cost); updates (GNSS position/velocity, heading) use the shared Joseph-form update.
 */
import { headingInnovation } from './attitudeFilter.js';
import { josephUpdate, KalmanWorkspace, type UpdateOutcome } from './kalman.js';
import { zeros } from './linalg.js';
import { quatFromRotationVector, quatMultiply, quatNormalize, quatToMatrix } from './quaternion.js';

export const INS_STATES = 15;
const N = INS_STATES;
const P0 = 0, V0 = 3, T0 = 6, BA0 = 9, BG0 = 12;

export interface InsNoise {
  readonly gyroNoiseDensity: number;
  readonly accelNoiseDensity: number;
  readonly gyroBiasRandomWalk: number;
  readonly accelBiasRandomWalk: number;
  readonly headingStdRad: number;
  readonly gravityMS2: number;
  /**
   * The covariance is propagated once per this interval with the averaged rate and specific force
   * (the nominal state still integrates every IMU sample), like PX4 EKF2's delta-angle/velocity
   * accumulation; 0 = every sample.
   */
  readonly covariancePeriodS: number;
}

export class InsFilter {
  readonly p = new Float64Array(3);
  readonly v = new Float64Array(3);
  readonly q = new Float64Array([1, 0, 0, 0]);
  readonly accelBias = new Float64Array(3);
  readonly gyroBias = new Float64Array(3);
  /** 15×15 error-state covariance. */
  readonly cov = zeros(N);
  private readonly noise: InsNoise;
  private readonly ws = new KalmanWorkspace(N, 6);
  private readonly dx = new Float64Array(N);
  private readonly h = new Float64Array(6 * N);
  private readonly r = new Float64Array(36);
  private readonly y = new Float64Array(6);
  private readonly rot = new Float64Array(9);
  private readonly mvt = new Float64Array(9);
  private readonly dq = new Float64Array(4);
  private readonly fp = zeros(N);
  /** Pending covariance propagation: accumulated dt, ω·dt, f·dt and extra process noise. */
  private readonly acc = new Float64Array(9);
  /** Set whenever `cov` changed (propagation, update, reset); the caller's SPD check clears it. */
  covChanged = false;

  constructor(noise: InsNoise) {
    this.noise = noise;
  }

  reset(): void {
    this.p.fill(0);
    this.v.fill(0);
    this.q.set([1, 0, 0, 0]);
    this.accelBias.fill(0);
    this.gyroBias.fill(0);
    this.cov.fill(0);
    this.acc.fill(0);
    this.covChanged = true;
  }

  copyFrom(other: InsFilter): void {
    this.acc.set(other.acc);
    this.covChanged = other.covChanged;
    this.p.set(other.p);
    this.v.set(other.v);
    this.q.set(other.q);
    this.accelBias.set(other.accelBias);
    this.gyroBias.set(other.gyroBias);
    this.cov.set(other.cov);
  }

  /**
   * One strapdown step over dtS with bias-uncorrected IMU readings. `extraAccelStd`/`extraRateStd`
   * add process noise (used when coasting without IMU data).
   */
  predict(gx: number, gy: number, gz: number, ax: number, ay: number, az: number, dtS: number, extraAccelStd = 0, extraRateStd = 0): void {
    const rot = quatToMatrix(this.q, this.rot);
    const fx = ax - this.accelBias[0]!, fy = ay - this.accelBias[1]!, fz = az - this.accelBias[2]!;
    const wx = gx - this.gyroBias[0]!, wy = gy - this.gyroBias[1]!, wz = gz - this.gyroBias[2]!;
    const r00 = rot[0]!, r01 = rot[1]!, r02 = rot[2]!, r10 = rot[3]!, r11 = rot[4]!, r12 = rot[5]!, r20 = rot[6]!, r21 = rot[7]!, r22 = rot[8]!;
    const an0 = r00 * fx + r01 * fy + r02 * fz;
    const an1 = r10 * fx + r11 * fy + r12 * fz;
    const an2 = r20 * fx + r21 * fy + r22 * fz - this.noise.gravityMS2;
    const half = 0.5 * dtS * dtS;
    this.p[0] = this.p[0]! + this.v[0]! * dtS + an0 * half;
    this.p[1] = this.p[1]! + this.v[1]! * dtS + an1 * half;
    this.p[2] = this.p[2]! + this.v[2]! * dtS + an2 * half;
    this.v[0] = this.v[0]! + an0 * dtS;
    this.v[1] = this.v[1]! + an1 * dtS;
    this.v[2] = this.v[2]! + an2 * dtS;
    quatFromRotationVector(wx * dtS, wy * dtS, wz * dtS, this.dq);
    quatMultiply(this.q, this.dq, this.q);
    quatNormalize(this.q);

    const acc = this.acc;
    acc[0] = acc[0]! + dtS;
    acc[1] = acc[1]! + wx * dtS;
    acc[2] = acc[2]! + wy * dtS;
    acc[3] = acc[3]! + wz * dtS;
    acc[4] = acc[4]! + fx * dtS;
    acc[5] = acc[5]! + fy * dtS;
    acc[6] = acc[6]! + fz * dtS;
    acc[7] = acc[7]! + extraAccelStd * extraAccelStd * dtS;
    acc[8] = acc[8]! + extraRateStd * extraRateStd * dtS;
    if (acc[0] >= this.noise.covariancePeriodS) this.flushCovariance();
  }

  /** Applies the pending covariance propagation (before any read of `cov` or any update). */
  flushCovariance(): void {
    const acc = this.acc;
    const dtS = acc[0]!;
    if (!(dtS > 0)) return;
    const wx = acc[1]! / dtS, wy = acc[2]! / dtS, wz = acc[3]! / dtS;
    const fx = acc[4]! / dtS, fy = acc[5]! / dtS, fz = acc[6]! / dtS;
    const rot = quatToMatrix(this.q, this.rot);
    const r00 = rot[0]!, r01 = rot[1]!, r02 = rot[2]!, r10 = rot[3]!, r11 = rot[4]!, r12 = rot[5]!, r20 = rot[6]!, r21 = rot[7]!, r22 = rot[8]!;
    // M = −R[f]ₓ (δv ← δθ block, per unit time).
    const m = this.mvt;
    m[0] = -(r01 * fz - r02 * fy); m[1] = -(r02 * fx - r00 * fz); m[2] = -(r00 * fy - r01 * fx);
    m[3] = -(r11 * fz - r12 * fy); m[4] = -(r12 * fx - r10 * fz); m[5] = -(r10 * fy - r11 * fx);
    m[6] = -(r21 * fz - r22 * fy); m[7] = -(r22 * fx - r20 * fz); m[8] = -(r20 * fy - r21 * fx);
    const cov = this.cov;
    const fp = this.fp;
    // FP = F·P column by column, then P = F·(FP)ᵀ (valid because P is symmetric).
    applyF(cov, fp, rot, m, wx, wy, wz, dtS);
    transposeInPlace(fp);
    applyF(fp, cov, rot, m, wx, wy, wz, dtS);
    const qv = this.noise.accelNoiseDensity ** 2 * dtS + acc[7]!;
    const qt = this.noise.gyroNoiseDensity ** 2 * dtS + acc[8]!;
    const qba = this.noise.accelBiasRandomWalk ** 2 * dtS;
    const qbg = this.noise.gyroBiasRandomWalk ** 2 * dtS;
    for (let i = 0; i < 3; i++) {
      cov[(V0 + i) * N + V0 + i] = cov[(V0 + i) * N + V0 + i]! + qv;
      cov[(T0 + i) * N + T0 + i] = cov[(T0 + i) * N + T0 + i]! + qt;
      cov[(BA0 + i) * N + BA0 + i] = cov[(BA0 + i) * N + BA0 + i]! + qba;
      cov[(BG0 + i) * N + BG0 + i] = cov[(BG0 + i) * N + BG0 + i]! + qbg;
    }
    acc.fill(0);
    this.covChanged = true;
  }

  /** Propagate with no IMU: constant velocity, constant attitude, inflated process noise. */
  coast(dtS: number, accelStd: number, rateStd: number): void {
    const g = this.noise.gravityMS2;
    // Specific force that cancels gravity and ω = 0 after bias removal: the nominal state keeps
    // constant velocity and attitude.
    const rot = quatToMatrix(this.q, this.rot);
    const fx = rot[6]! * g, fy = rot[7]! * g, fz = rot[8]! * g;
    this.predict(this.gyroBias[0]!, this.gyroBias[1]!, this.gyroBias[2]!, fx + this.accelBias[0]!, fy + this.accelBias[1]!, fz + this.accelBias[2]!, dtS, accelStd, rateStd);
  }

  /** GNSS position (ENU, m) and optionally velocity update with per-axis 1σ; gated at `gate`. */
  updateGnss(
    e: number, n: number, u: number, horizontalStd: number, verticalStd: number,
    velocity: ArrayLike<number> | undefined, velocityStd: number, gate: number,
  ): UpdateOutcome {
    this.flushCovariance();
    const m = velocity === undefined ? 3 : 6;
    const h = this.h;
    h.fill(0, 0, m * N);
    this.r.fill(0, 0, m * m);
    this.y[0] = e - this.p[0]!;
    this.y[1] = n - this.p[1]!;
    this.y[2] = u - this.p[2]!;
    for (let i = 0; i < 3; i++) h[i * N + P0 + i] = 1;
    this.r[0] = horizontalStd ** 2;
    this.r[m + 1] = horizontalStd ** 2;
    this.r[2 * m + 2] = verticalStd ** 2;
    if (velocity !== undefined) {
      for (let i = 0; i < 3; i++) {
        this.y[3 + i] = velocity[i]! - this.v[i]!;
        h[(3 + i) * N + V0 + i] = 1;
        this.r[(3 + i) * m + 3 + i] = velocityStd ** 2;
      }
    }
    const outcome = josephUpdate(this.cov, this.y, h, this.r, m, this.ws, this.dx, gate);
    if (outcome === 'accepted') {
      this.inject();
      this.covChanged = true;
    }
    return outcome;
  }

  /** Magnetometer heading update (tilt-compensated with the current attitude). */
  updateHeading(mx: number, my: number, mz: number, declinationRad: number, gate: number): UpdateOutcome {
    this.flushCovariance();
    quatToMatrix(this.q, this.rot);
    const innovation = headingInnovation(this.rot, mx, my, mz, declinationRad);
    if (innovation === undefined) return 'singular';
    this.y[0] = innovation;
    this.h.fill(0, 0, N);
    // The heading comes from tilt-compensating the field with the *estimated* attitude, so it depends
    // on the tilt too, not only on yaw: with the world field b = R·m and ψ = atan2(b_n, b_e),
    // δb = −R[m]ₓδθ gives H = m × (Rᵀ∇ψ), ∇ψ = (−b_n, b_e, 0)/(b_e² + b_n²). Level, north-pointing
    // field with dip i: H = (0, tan i, 1). With the yaw-only row the filter treated a tilt-biased
    // heading as yaw truth, became over-confident in yaw and let it follow a drifting tilt during GNSS
    // outages (simulator: 10° yaw error at 0.4° σ after 20 s, see services/motion-worker README).
    const rot = this.rot;
    const be = rot[0]! * mx + rot[1]! * my + rot[2]! * mz;
    const bn = rot[3]! * mx + rot[4]! * my + rot[5]! * mz;
    const h2 = be * be + bn * bn;
    const ge = -bn / h2;
    const gn = be / h2;
    const u0 = ge * rot[0]! + gn * rot[3]!;
    const u1 = ge * rot[1]! + gn * rot[4]!;
    const u2 = ge * rot[2]! + gn * rot[5]!;
    this.h[T0] = my * u2 - mz * u1;
    this.h[T0 + 1] = mz * u0 - mx * u2;
    this.h[T0 + 2] = mx * u1 - my * u0;
    this.r[0] = this.noise.headingStdRad ** 2;
    const outcome = josephUpdate(this.cov, this.y, this.h, this.r, 1, this.ws, this.dx, gate);
    if (outcome === 'accepted') {
      this.inject();
      this.covChanged = true;
    }
    return outcome;
  }

  /** Re-anchor position (and velocity) on GNSS after the filter lost it: drop their correlations. */
  resetPosition(e: number, n: number, u: number, horizontalStd: number, verticalStd: number, velocity: ArrayLike<number> | undefined, velocityStd: number): void {
    this.flushCovariance();
    this.covChanged = true;
    this.p[0] = e; this.p[1] = n; this.p[2] = u;
    const last = velocity === undefined ? 3 : 6;
    if (velocity !== undefined) for (let i = 0; i < 3; i++) this.v[i] = velocity[i]!;
    for (let i = 0; i < last; i++) {
      for (let k = 0; k < N; k++) {
        this.cov[i * N + k] = 0;
        this.cov[k * N + i] = 0;
      }
    }
    this.cov[0] = horizontalStd ** 2;
    this.cov[N + 1] = horizontalStd ** 2;
    this.cov[2 * N + 2] = verticalStd ** 2;
    if (velocity !== undefined) for (let i = 3; i < 6; i++) this.cov[i * N + i] = velocityStd ** 2;
  }

  private inject(): void {
    const dx = this.dx;
    for (let i = 0; i < 3; i++) {
      this.p[i] = this.p[i]! + dx[P0 + i]!;
      this.v[i] = this.v[i]! + dx[V0 + i]!;
      this.accelBias[i] = this.accelBias[i]! + dx[BA0 + i]!;
      this.gyroBias[i] = this.gyroBias[i]! + dx[BG0 + i]!;
    }
    quatFromRotationVector(dx[T0]!, dx[T0 + 1]!, dx[T0 + 2]!, this.dq);
    quatMultiply(this.q, this.dq, this.q);
    quatNormalize(this.q);
  }
}

/**
 * out = F·x for the 15×15 error-state transition
 *   δp' = δp + dt δv
 *   δv' = δv + dt (M δθ − R δb_a)        M = −R[f]ₓ
 *   δθ' = δθ − dt [ω]ₓ δθ − dt δb_g
 *   δb' = δb
 * applied to each column of x.
 */
function applyF(x: Float64Array, out: Float64Array, rot: Float64Array, m: Float64Array, wx: number, wy: number, wz: number, dt: number): void {
  const r00 = rot[0]!, r01 = rot[1]!, r02 = rot[2]!, r10 = rot[3]!, r11 = rot[4]!, r12 = rot[5]!, r20 = rot[6]!, r21 = rot[7]!, r22 = rot[8]!;
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, m10 = m[3]!, m11 = m[4]!, m12 = m[5]!, m20 = m[6]!, m21 = m[7]!, m22 = m[8]!;
  for (let c = 0; c < N; c++) {
    const p0 = x[c]!, p1 = x[N + c]!, p2 = x[2 * N + c]!;
    const v0 = x[3 * N + c]!, v1 = x[4 * N + c]!, v2 = x[5 * N + c]!;
    const t0 = x[6 * N + c]!, t1 = x[7 * N + c]!, t2 = x[8 * N + c]!;
    const a0 = x[9 * N + c]!, a1 = x[10 * N + c]!, a2 = x[11 * N + c]!;
    const g0 = x[12 * N + c]!, g1 = x[13 * N + c]!, g2 = x[14 * N + c]!;
    out[c] = p0 + dt * v0;
    out[N + c] = p1 + dt * v1;
    out[2 * N + c] = p2 + dt * v2;
    out[3 * N + c] = v0 + dt * (m00 * t0 + m01 * t1 + m02 * t2 - (r00 * a0 + r01 * a1 + r02 * a2));
    out[4 * N + c] = v1 + dt * (m10 * t0 + m11 * t1 + m12 * t2 - (r10 * a0 + r11 * a1 + r12 * a2));
    out[5 * N + c] = v2 + dt * (m20 * t0 + m21 * t1 + m22 * t2 - (r20 * a0 + r21 * a1 + r22 * a2));
    out[6 * N + c] = t0 + dt * (wz * t1 - wy * t2 - g0);
    out[7 * N + c] = t1 + dt * (wx * t2 - wz * t0 - g1);
    out[8 * N + c] = t2 + dt * (wy * t0 - wx * t1 - g2);
    out[9 * N + c] = a0;
    out[10 * N + c] = a1;
    out[11 * N + c] = a2;
    out[12 * N + c] = g0;
    out[13 * N + c] = g1;
    out[14 * N + c] = g2;
  }
}

function transposeInPlace(a: Float64Array): void {
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const t = a[i * N + j]!;
      a[i * N + j] = a[j * N + i]!;
      a[j * N + i] = t;
    }
  }
}
