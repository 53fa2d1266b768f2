import { InvalidSeriesError } from './errors.js';

export interface RlsPrediction {
  readonly mean: number;
  /** Variance of a new observation of the target: σ²(1 + φᵀPφ). */
  readonly variance: number;
}

/**
 * Recursive least squares for y = a + b·x (one predictor with an intercept), with exponential
 * forgetting λ so the relation may drift. Tracks the residual variance σ² (a-priori residuals,
 * forgetting-weighted) and the target's own variance, so `rSquared` says how much the predictor
 * explains. Closed-form 2×2, allocation-free.
 */
export class SimpleRls {
  #a = 0;
  #b = 0;
  // P = (XᵀΛX)⁻¹ (unscaled), symmetric 2×2.
  #p00: number;
  #p01 = 0;
  #p11: number;
  #weight = 0;
  #residualSq = 0;
  #meanY = 0;
  #varY = 0;
  #count = 0;

  constructor(
    readonly forgetting = 0.999,
    initialP = 1e6,
  ) {
    if (!(forgetting > 0 && forgetting <= 1)) throw new InvalidSeriesError(`forgetting must be in (0, 1], found ${forgetting}`);
    this.#p00 = initialP;
    this.#p11 = initialP;
  }

  get intercept(): number {
    return this.#a;
  }
  get slope(): number {
    return this.#b;
  }
  get count(): number {
    return this.#count;
  }
  /** Forgetting-weighted mean squared a-priori residual. */
  get residualVariance(): number {
    return this.#weight > 0 ? this.#residualSq / this.#weight : Number.POSITIVE_INFINITY;
  }
  /** 1 − σ²_residual / σ²_y: the share of the target's variance the predictor explains (≤ 1, may be < 0). */
  get rSquared(): number {
    const varY = this.#weight > 0 ? this.#varY / this.#weight : 0;
    return varY > 0 ? 1 - this.residualVariance / varY : 0;
  }

  /** Adds one co-observed pair. Non-finite pairs are ignored. */
  update(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const lambda = this.forgetting;
    const residual = y - (this.#a + this.#b * x);
    // Pφ with φ = [1, x].
    const g0 = this.#p00 + this.#p01 * x;
    const g1 = this.#p01 + this.#p11 * x;
    const denom = lambda + g0 + g1 * x;
    const k0 = g0 / denom;
    const k1 = g1 / denom;
    this.#a += k0 * residual;
    this.#b += k1 * residual;
    this.#p00 = (this.#p00 - k0 * g0) / lambda;
    this.#p01 = (this.#p01 - k0 * g1) / lambda;
    this.#p11 = (this.#p11 - k1 * g1) / lambda;
    this.#count++;
    // The first residuals are against an unfitted line: start scoring after two pairs.
    const dy = y - this.#meanY;
    this.#weight = lambda * this.#weight + (this.#count > 2 ? 1 : 0);
    if (this.#count > 2) {
      this.#residualSq = lambda * this.#residualSq + residual * residual;
      this.#varY = lambda * this.#varY + dy * dy;
    }
    this.#meanY += dy / Math.min(this.#count, 1 / (1 - lambda + 1e-12));
  }

  predict(x: number): RlsPrediction {
    const mean = this.#a + this.#b * x;
    const leverage = this.#p00 + 2 * this.#p01 * x + this.#p11 * x * x;
    const sigma2 = this.residualVariance;
    return { mean, variance: sigma2 * (1 + Math.max(0, leverage)) };
  }
}
