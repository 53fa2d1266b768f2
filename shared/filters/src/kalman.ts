/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array reads inside loops bounded by the matrix dimensions */
/**
 * Kalman building blocks shared by the motion estimator and the fusion tracker: a preallocated
 * workspace, a Joseph-form measurement update with Mahalanobis gating (usable for linear, extended
 * and error-state filters: the caller supplies innovation and Jacobian), a dense linear filter and
 * the constant-velocity motion model.
 */
import { cholesky, choleskySolve, identity, multiply, multiplyABt, symmetrize, zeros, type Matrix } from './linalg.js';

export type UpdateOutcome = 'accepted' | 'gated' | 'singular';

/** Scratch buffers for state size n and measurement sizes up to maxM; reuse one per filter. */
export class KalmanWorkspace {
  readonly n: number;
  readonly maxM: number;
  readonly pht: Matrix;
  readonly s: Matrix;
  readonly l: Matrix;
  readonly kt: Matrix;
  readonly k: Matrix;
  readonly kr: Matrix;
  readonly a: Matrix;
  readonly t: Matrix;
  readonly tmp: Float64Array;
  /** Normalised innovation squared (yᵀS⁻¹y) of the last update, gated or not. */
  nis = 0;

  constructor(n: number, maxM: number) {
    this.n = n;
    this.maxM = maxM;
    this.pht = zeros(n, maxM);
    this.s = zeros(maxM);
    this.l = zeros(maxM);
    this.kt = zeros(maxM, n);
    this.k = zeros(n, maxM);
    this.kr = zeros(n, maxM);
    this.a = zeros(n);
    this.t = zeros(n);
    this.tmp = new Float64Array(Math.max(n, maxM));
  }
}

/**
 * Measurement update in Joseph form, P ← (I−KH)P(I−KH)ᵀ + KRKᵀ, which keeps P symmetric positive
 * semidefinite even with a suboptimal gain. Inputs: covariance P (n×n, updated in place),
 * innovation y = z − h(x) (length m), Jacobian H (m×n), noise R (m×m). Writes the state correction
 * K·y into `dx` (length n); the caller adds it to its state (or injects it, for an error-state
 * filter). When yᵀS⁻¹y exceeds `gate` (a chi-square quantile with m degrees of freedom) nothing
 * changes and 'gated' is returned; `ws.nis` holds the statistic either way.
 */
export function josephUpdate(
  p: Matrix,
  y: ArrayLike<number>,
  h: Matrix,
  r: Matrix,
  m: number,
  ws: KalmanWorkspace,
  dx: Float64Array,
  gate = Number.POSITIVE_INFINITY,
): UpdateOutcome {
  const n = ws.n;
  const { pht, s, l, kt, k, kr, a, t } = ws;
  multiplyABt(p, h, n, n, m, pht);
  multiply(h, pht, m, n, m, s);
  for (let i = 0; i < m * m; i++) s[i] = s[i]! + r[i]!;
  symmetrize(s, m);
  if (!cholesky(s, m, l)) {
    ws.nis = Number.NaN;
    return 'singular';
  }
  // NIS by forward substitution: |L⁻¹y|².
  let nis = 0;
  const tmp = ws.tmp;
  for (let i = 0; i < m; i++) {
    let v = y[i]!;
    for (let j = 0; j < i; j++) v -= l[i * m + j]! * tmp[j]!;
    v /= l[i * m + i]!;
    tmp[i] = v;
    nis += v * v;
  }
  ws.nis = nis;
  if (!(nis <= gate)) return 'gated';
  // Kᵀ = S⁻¹ (PHᵀ)ᵀ.
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) kt[j * n + i] = pht[i * m + j]!;
  choleskySolve(l, m, kt, n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = 0; j < m; j++) {
      const kij = kt[j * n + i]!;
      k[i * m + j] = kij;
      d += kij * y[j]!;
    }
    dx[i] = d;
  }
  // A = I − KH.
  multiply(k, h, n, m, n, a);
  for (let i = 0; i < n * n; i++) a[i] = -a[i]!;
  for (let i = 0; i < n; i++) a[i * n + i] = a[i * n + i]! + 1;
  multiply(a, p, n, n, n, t);
  multiplyABt(t, a, n, n, n, p);
  multiply(k, r, n, m, m, kr);
  multiplyABt(kr, k, n, m, n, t);
  for (let i = 0; i < n * n; i++) p[i] = p[i]! + t[i]!;
  symmetrize(p, n);
  return 'accepted';
}

/**
 * Dense linear Kalman filter x_{k+1} = F x_k + w, z = H x + v. Meant for small trackers and 1-D
 * denoisers; every buffer is allocated in the constructor.
 */
export class LinearKalmanFilter {
  readonly n: number;
  readonly x: Float64Array;
  readonly p: Matrix;
  private readonly ws: KalmanWorkspace;
  private readonly dx: Float64Array;
  private readonly xTmp: Float64Array;
  private readonly fp: Matrix;
  private readonly y: Float64Array;

  constructor(x0: ArrayLike<number>, p0: ArrayLike<number>, maxMeasurementSize: number) {
    const n = x0.length;
    if (p0.length !== n * n) throw new RangeError(`P0 must have ${n * n} entries, found ${p0.length}`);
    this.n = n;
    this.x = Float64Array.from(x0);
    this.p = Float64Array.from(p0);
    this.ws = new KalmanWorkspace(n, maxMeasurementSize);
    this.dx = new Float64Array(n);
    this.xTmp = new Float64Array(n);
    this.fp = zeros(n);
    this.y = new Float64Array(maxMeasurementSize);
  }

  /** x ← F x, P ← F P Fᵀ + Q. */
  predict(f: Matrix, q: Matrix): void {
    const n = this.n;
    multiply(f, this.x, n, n, 1, this.xTmp);
    this.x.set(this.xTmp);
    multiply(f, this.p, n, n, n, this.fp);
    multiplyABt(this.fp, f, n, n, n, this.p);
    for (let i = 0; i < n * n; i++) this.p[i] = this.p[i]! + q[i]!;
    symmetrize(this.p, n);
  }

  /** Update with z (length m); gated by `gate` on the NIS. */
  update(z: ArrayLike<number>, h: Matrix, r: Matrix, gate = Number.POSITIVE_INFINITY): UpdateOutcome {
    const m = z.length;
    const n = this.n;
    for (let i = 0; i < m; i++) {
      let hx = 0;
      for (let j = 0; j < n; j++) hx += h[i * n + j]! * this.x[j]!;
      this.y[i] = z[i]! - hx;
    }
    const outcome = josephUpdate(this.p, this.y, h, r, m, this.ws, this.dx, gate);
    if (outcome === 'accepted') for (let i = 0; i < n; i++) this.x[i] = this.x[i]! + this.dx[i]!;
    return outcome;
  }

  /** Normalised innovation squared of the last update. */
  get nis(): number {
    return this.ws.nis;
  }
}

/**
 * Constant-velocity (white-noise acceleration) model for state [position(d), velocity(d)]:
 * F = [[I, dt·I], [0, I]], Q = q·[[dt³/3, dt²/2], [dt²/2, dt]] per axis, q in (m/s²)²/Hz.
 */
export function constantVelocityModel(
  dimensions: number,
  dtS: number,
  accelNoiseDensity: number,
  f: Matrix = zeros(2 * dimensions),
  q: Matrix = zeros(2 * dimensions),
): { f: Matrix; q: Matrix } {
  const n = 2 * dimensions;
  identity(n, f);
  q.fill(0);
  const q11 = (accelNoiseDensity * dtS ** 3) / 3;
  const q12 = (accelNoiseDensity * dtS ** 2) / 2;
  const q22 = accelNoiseDensity * dtS;
  for (let i = 0; i < dimensions; i++) {
    const v = dimensions + i;
    f[i * n + v] = dtS;
    q[i * n + i] = q11;
    q[i * n + v] = q12;
    q[v * n + i] = q12;
    q[v * n + v] = q22;
  }
  return { f, q };
}
