/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array reads inside loops bounded by the matrix dimensions */
/**
 * Small dense linear algebra for filter-sized matrices (n ≤ ~20). Matrices are row-major
 * Float64Arrays; dimensions are passed explicitly and every function writes into a caller-owned
 * `out` so a filter can preallocate its workspace once and allocate nothing per step.
 * Unless stated, `out` must not alias an input.
 */
export type Matrix = Float64Array;

export function zeros(rows: number, cols: number = rows): Matrix {
  return new Float64Array(rows * cols);
}

export function identity(n: number, out: Matrix = zeros(n)): Matrix {
  out.fill(0);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** out (n×p) = a (n×m) · b (m×p). */
export function multiply(a: Matrix, b: Matrix, n: number, m: number, p: number, out: Matrix): Matrix {
  for (let i = 0; i < n; i++) {
    const ai = i * m;
    const oi = i * p;
    for (let j = 0; j < p; j++) out[oi + j] = 0;
    for (let k = 0; k < m; k++) {
      const aik = a[ai + k]!;
      if (aik === 0) continue;
      const bk = k * p;
      for (let j = 0; j < p; j++) out[oi + j] = out[oi + j]! + aik * b[bk + j]!;
    }
  }
  return out;
}

/** out (n×p) = a (n×m) · bᵀ where b is p×m. */
export function multiplyABt(a: Matrix, b: Matrix, n: number, m: number, p: number, out: Matrix): Matrix {
  for (let i = 0; i < n; i++) {
    const ai = i * m;
    for (let j = 0; j < p; j++) {
      const bj = j * m;
      let s = 0;
      for (let k = 0; k < m; k++) s += a[ai + k]! * b[bj + k]!;
      out[i * p + j] = s;
    }
  }
  return out;
}

/** out (m×n) = aᵀ where a is n×m. */
export function transpose(a: Matrix, n: number, m: number, out: Matrix): Matrix {
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

/** out = a + b (same length); out may alias a or b. */
export function add(a: Matrix, b: Matrix, out: Matrix): Matrix {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** out = a − b (same length); out may alias a or b. */
export function subtract(a: Matrix, b: Matrix, out: Matrix): Matrix {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** In place: a ← (a + aᵀ)/2. */
export function symmetrize(a: Matrix, n: number): Matrix {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** Largest |a_ij − a_ji|, to check symmetry. */
export function asymmetry(a: Matrix, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) worst = Math.max(worst, Math.abs(a[i * n + j]! - a[j * n + i]!));
  }
  return worst;
}

/**
 * Cholesky factor L (lower, row-major, upper part zeroed) of a symmetric matrix; reads only the
 * lower triangle of `a`. Returns false when `a` is not positive definite (or holds NaN/∞); `out`
 * may alias `a`.
 */
export function cholesky(a: Matrix, n: number, out: Matrix): boolean {
  if (!choleskyLower(a, n, out)) return false;
  for (let j = 0; j < n; j++) for (let k = j + 1; k < n; k++) out[j * n + k] = 0;
  return true;
}

/** Cholesky writing only the lower triangle of `out` (the per-step SPD check uses this). */
function choleskyLower(a: Matrix, n: number, out: Matrix): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) {
      const v = out[rj + k]!;
      d -= v * v;
    }
    if (!(d > 0) || d === Number.POSITIVE_INFINITY) return false;
    const ljj = Math.sqrt(d);
    const inv = 1 / ljj;
    out[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= out[ri + k]! * out[rj + k]!;
      const v = s * inv;
      if (!Number.isFinite(v)) return false;
      out[ri + j] = v;
    }
  }
  return true;
}

/** Solves (L Lᵀ) X = B in place in `b` (n×m) given the Cholesky factor L. */
export function choleskySolve(l: Matrix, n: number, b: Matrix, m: number): Matrix {
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = b[i * m + c]!;
      for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[k * m + c]!;
      b[i * m + c] = s / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i * m + c]!;
      for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k * m + c]!;
      b[i * m + c] = s / l[i * n + i]!;
    }
  }
  return b;
}

/**
 * Inverse of a symmetric positive definite matrix through Cholesky. `scratch` is n×n. Returns
 * false (out untouched beyond scratch) when `a` is not SPD.
 */
export function spdInverse(a: Matrix, n: number, out: Matrix, scratch: Matrix): boolean {
  if (!cholesky(a, n, scratch)) return false;
  identity(n, out);
  choleskySolve(scratch, n, out, n);
  return symmetrize(out, n) === out;
}

/** True when `a` is symmetric (to `tolerance`, relative to its largest diagonal) and positive definite. */
export function isSymmetricPositiveDefinite(a: Matrix, n: number, scratch: Matrix, tolerance = 1e-9): boolean {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!));
  if (!Number.isFinite(scale) || asymmetry(a, n) > tolerance * Math.max(scale, 1e-300)) return false;
  return cholesky(a, n, scratch);
}

/** xᵀ A⁻¹ x from a Cholesky factor of A (forward substitution only). `tmp` has length n. */
export function mahalanobisSquared(l: Matrix, n: number, x: ArrayLike<number>, tmp: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * tmp[k]!;
    const yi = s / l[i * n + i]!;
    tmp[i] = yi;
    sum += yi * yi;
  }
  return sum;
}

export type CovarianceRepair = 'none' | 'clamped' | 'jitter' | 'reset';

/**
 * Makes a covariance symmetric positive definite again: symmetrise (not counted: round-off), clamp runaway variances to
 * `maxVariance` (by D·P·D scaling, which keeps it PSD), then add growing diagonal jitter until
 * Cholesky succeeds; a matrix with non-finite entries is replaced by `fallback`. Returns what was
 * needed, so callers can count repairs. `scratch` is n×n.
 */
export function repairCovariance(
  p: Matrix,
  n: number,
  scratch: Matrix,
  fallback: Matrix,
  maxVariance = 1e12,
): CovarianceRepair {
  symmetrize(p, n);
  let scaled = false;
  let clampNeeded = false;
  for (let i = 0; i < n; i++) if (p[i * n + i]! > maxVariance) clampNeeded = true;
  // Fast path, every step: a finite SPD matrix factors (NaN/∞ make Cholesky fail).
  if (!clampNeeded && choleskyLower(p, n, scratch)) return 'none';
  for (let i = 0; i < p.length; i++) {
    if (!Number.isFinite(p[i]!)) {
      p.set(fallback);
      return 'reset';
    }
  }
  for (let i = 0; i < n; i++) {
    const v = p[i * n + i]!;
    if (v > maxVariance) {
      const s = Math.sqrt(maxVariance / v);
      for (let k = 0; k < n; k++) {
        p[i * n + k] = p[i * n + k]! * s;
        p[k * n + i] = p[k * n + i]! * s;
      }
      scaled = true;
    }
  }
  if (cholesky(p, n, scratch)) return scaled ? 'clamped' : 'none';
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(p[i * n + i]!));
  let jitter = Math.max(maxDiag * 1e-12, 1e-12);
  for (let attempt = 0; attempt < 60; attempt++) {
    for (let i = 0; i < n; i++) p[i * n + i] = p[i * n + i]! + jitter;
    if (cholesky(p, n, scratch)) return 'jitter';
    jitter *= 4;
  }
  p.set(fallback);
  return 'reset';
}
