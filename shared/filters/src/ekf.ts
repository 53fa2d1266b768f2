/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array reads inside loops bounded by the state size */
/**
 * A generic extended Kalman filter for the fusion tracker and other small nonlinear models: the
 * caller supplies the motion model (state transition and its Jacobian) and the measurement model
 * (prediction and Jacobian); covariance algebra, Joseph-form update, gating and angle-aware
 * residuals come from here. Everything is preallocated for the state size and maximum measurement size.
 */
import { josephUpdate, KalmanWorkspace, type UpdateOutcome } from './kalman.js';
import { multiply, multiplyABt, symmetrize, zeros, type Matrix } from './linalg.js';
import { wrapAngle } from './quaternion.js';

/** Writes f(x, dt) into xOut and its Jacobian ∂f/∂x (n×n) into fOut; may also fill qOut (n×n). */
export type MotionModel = (x: Float64Array, dtS: number, xOut: Float64Array, fOut: Matrix, qOut: Matrix) => void;
/** Writes h(x) (length m) into zOut and its Jacobian (m×n) into hOut. */
export type MeasurementModel = (x: Float64Array, zOut: Float64Array, hOut: Matrix) => void;

export class ExtendedKalmanFilter {
  readonly n: number;
  readonly x: Float64Array;
  readonly p: Matrix;
  /** Indices of state entries that are angles (wrapped to (−π, π] after every step). */
  private readonly angleStates: readonly number[];
  private readonly ws: KalmanWorkspace;
  private readonly xPred: Float64Array;
  private readonly f: Matrix;
  private readonly q: Matrix;
  private readonly fp: Matrix;
  private readonly zPred: Float64Array;
  private readonly h: Matrix;
  private readonly y: Float64Array;
  private readonly dx: Float64Array;

  constructor(x0: ArrayLike<number>, p0: ArrayLike<number>, maxMeasurementSize: number, angleStates: readonly number[] = []) {
    const n = x0.length;
    if (p0.length !== n * n) throw new RangeError(`P0 must have ${n * n} entries, found ${p0.length}`);
    this.n = n;
    this.x = Float64Array.from(x0);
    this.p = Float64Array.from(p0);
    this.angleStates = angleStates;
    this.ws = new KalmanWorkspace(n, maxMeasurementSize);
    this.xPred = new Float64Array(n);
    this.f = zeros(n);
    this.q = zeros(n);
    this.fp = zeros(n);
    this.zPred = new Float64Array(maxMeasurementSize);
    this.h = zeros(maxMeasurementSize, n);
    this.y = new Float64Array(maxMeasurementSize);
    this.dx = new Float64Array(n);
  }

  /** x ← f(x, dt), P ← F P Fᵀ + Q (Q as written by the model). */
  predict(model: MotionModel, dtS: number): void {
    const n = this.n;
    this.q.fill(0);
    model(this.x, dtS, this.xPred, this.f, this.q);
    this.x.set(this.xPred);
    multiply(this.f, this.p, n, n, n, this.fp);
    multiplyABt(this.fp, this.f, n, n, n, this.p);
    for (let i = 0; i < n * n; i++) this.p[i] = this.p[i]! + this.q[i]!;
    symmetrize(this.p, n);
    this.wrapAngles();
  }

  /**
   * Update with measurement z (length m) and noise R (m×m), gated on the NIS; `angleMeasurements`
   * lists the entries of z that are angles (their residual is wrapped).
   */
  update(z: ArrayLike<number>, model: MeasurementModel, r: Matrix, gate = Number.POSITIVE_INFINITY, angleMeasurements: readonly number[] = []): UpdateOutcome {
    const m = z.length;
    model(this.x, this.zPred, this.h);
    for (let i = 0; i < m; i++) this.y[i] = z[i]! - this.zPred[i]!;
    for (const i of angleMeasurements) this.y[i] = wrapAngle(this.y[i]!);
    const outcome = josephUpdate(this.p, this.y, this.h, r, m, this.ws, this.dx, gate);
    if (outcome === 'accepted') {
      for (let i = 0; i < this.n; i++) this.x[i] = this.x[i]! + this.dx[i]!;
      this.wrapAngles();
    }
    return outcome;
  }

  /** Normalised innovation squared of the last update. */
  get nis(): number {
    return this.ws.nis;
  }

  private wrapAngles(): void {
    for (const i of this.angleStates) this.x[i] = wrapAngle(this.x[i]!);
  }
}

/**
 * Constant turn rate and velocity (CTRV) model for state [x, y, yaw, speed, yawRate] with process
 * noise from a longitudinal acceleration density `accelNoise` ((m/s²)²/Hz) and a yaw acceleration
 * density `yawAccelNoise` ((rad/s²)²/Hz). Exact integration; the straight-line limit is used when
 * |yawRate| < 1e-6.
 */
export function ctrvModel(accelNoise: number, yawAccelNoise: number): MotionModel {
  return (x, dt, out, f, q) => {
    const px = x[0]!, py = x[1]!, yaw = x[2]!, v = x[3]!, w = x[4]!;
    const n = 5;
    f.fill(0);
    for (let i = 0; i < n; i++) f[i * n + i] = 1;
    const s0 = Math.sin(yaw), c0 = Math.cos(yaw);
    if (Math.abs(w) < 1e-6) {
      out[0] = px + v * c0 * dt;
      out[1] = py + v * s0 * dt;
      f[0 * n + 2] = -v * s0 * dt;
      f[0 * n + 3] = c0 * dt;
      f[1 * n + 2] = v * c0 * dt;
      f[1 * n + 3] = s0 * dt;
      // d/dw of the exact model at w → 0: −v·dt²/2·sin, v·dt²/2·cos.
      f[0 * n + 4] = -0.5 * v * dt * dt * s0;
      f[1 * n + 4] = 0.5 * v * dt * dt * c0;
    } else {
      const yaw1 = yaw + w * dt;
      const s1 = Math.sin(yaw1), c1 = Math.cos(yaw1);
      out[0] = px + (v / w) * (s1 - s0);
      out[1] = py + (v / w) * (c0 - c1);
      f[0 * n + 2] = (v / w) * (c1 - c0);
      f[0 * n + 3] = (s1 - s0) / w;
      f[0 * n + 4] = (v * dt * c1) / w - (v / (w * w)) * (s1 - s0);
      f[1 * n + 2] = (v / w) * (s1 - s0);
      f[1 * n + 3] = (c0 - c1) / w;
      f[1 * n + 4] = (v * dt * s1) / w - (v / (w * w)) * (c0 - c1);
    }
    out[2] = yaw + w * dt;
    out[3] = v;
    out[4] = w;
    f[2 * n + 4] = dt;
    // Noise enters as a longitudinal acceleration (x, y, speed) and a yaw acceleration (yaw, yaw rate).
    const ga = [0.5 * dt * dt * c0, 0.5 * dt * dt * s0, 0, dt, 0];
    const gw = [0, 0, 0.5 * dt * dt, 0, dt];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        q[i * n + j] = (accelNoise * ga[i]! * ga[j]! + yawAccelNoise * gw[i]! * gw[j]!) / dt;
      }
    }
  };
}
