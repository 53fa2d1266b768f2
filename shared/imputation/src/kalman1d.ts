import { InvalidSeriesError } from './errors.js';

/**
 * Process model of a scalar signal:
 * - `random_walk`: x' = w, Var(w·dt) = q·dt (q in unit²/s) — temperatures, pressures, charge levels;
 * - `constant_rate`: [x, ẋ]' = [ẋ, w], white-noise acceleration with spectral density q (unit²/s³) — speeds, distances.
 */
export type ProcessModel = 'random_walk' | 'constant_rate';

export interface ScalarKalmanOptions {
  readonly model: ProcessModel;
  /** q: unit²/s for random_walk, unit²/s³ for constant_rate. */
  readonly processNoise: number;
  /** R: variance of one measurement, unit². */
  readonly measurementVariance: number;
  /** Variance of the rate at initialisation (constant_rate only), (unit/s)²; default 1e4·R. */
  readonly initialRateVariance?: number;
}

/** Mean and variance of the latent value. */
export interface Estimate {
  readonly mean: number;
  readonly variance: number;
}

const US_PER_S = 1_000_000;

/**
 * A 1D (random walk) or 2-state (constant rate) Kalman filter for one scalar signal, in closed
 * form (no matrices: this runs once per component of every reading). Times are integer µs.
 */
export class ScalarKalman {
  readonly model: ProcessModel;
  readonly processNoise: number;
  measurementVariance: number;
  readonly #initialRateVariance: number;
  #x = 0;
  #v = 0;
  #p00 = 0;
  #p01 = 0;
  #p11 = 0;
  #timeUs = 0;
  #initialized = false;

  constructor(options: ScalarKalmanOptions) {
    for (const [name, value] of [
      ['processNoise', options.processNoise],
      ['measurementVariance', options.measurementVariance],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) throw new InvalidSeriesError(`${name} must be finite and > 0, found ${value}`);
    }
    this.model = options.model;
    this.processNoise = options.processNoise;
    this.measurementVariance = options.measurementVariance;
    this.#initialRateVariance = options.initialRateVariance ?? 1e4 * options.measurementVariance;
  }

  get initialized(): boolean {
    return this.#initialized;
  }

  /** Time of the last update (µs). */
  get timeUs(): number {
    return this.#timeUs;
  }

  /** Current (filtered) estimate at `timeUs`. */
  get estimate(): Estimate {
    return { mean: this.#x, variance: this.#p00 };
  }

  /** Rate of change (constant_rate), unit/s; 0 for random_walk. */
  get rate(): number {
    return this.#v;
  }

  /** Mean of the prediction at `atUs` (no allocation: the cross-sensor regressions call it per pair). */
  predictMean(atUs: number): number {
    return this.model === 'random_walk' ? this.#x : this.#x + (Math.max(0, atUs - this.#timeUs) / US_PER_S) * this.#v;
  }

  /** Prediction at `atUs` ≥ timeUs without changing the state. */
  predict(atUs: number): Estimate {
    const dt = Math.max(0, atUs - this.#timeUs) / US_PER_S;
    const q = this.processNoise;
    if (this.model === 'random_walk') return { mean: this.#x, variance: this.#p00 + q * dt };
    const p00 = this.#p00 + 2 * dt * this.#p01 + dt * dt * this.#p11 + (q * dt * dt * dt) / 3;
    return { mean: this.#x + dt * this.#v, variance: p00 };
  }

  /** Moves the state to `atUs` (prediction step); earlier times are ignored. */
  advance(atUs: number): void {
    if (!this.#initialized || atUs <= this.#timeUs) return;
    const dt = (atUs - this.#timeUs) / US_PER_S;
    const q = this.processNoise;
    if (this.model === 'random_walk') {
      this.#p00 += q * dt;
    } else {
      const p00 = this.#p00 + 2 * dt * this.#p01 + dt * dt * this.#p11 + (q * dt * dt * dt) / 3;
      const p01 = this.#p01 + dt * this.#p11 + (q * dt * dt) / 2;
      const p11 = this.#p11 + q * dt;
      this.#x += dt * this.#v;
      this.#p00 = p00;
      this.#p01 = p01;
      this.#p11 = p11;
    }
    this.#timeUs = atUs;
  }

  /** Predicts to `atUs` and fuses measurement z (variance r, default R). Returns the innovation. */
  update(atUs: number, z: number, r = this.measurementVariance): number {
    if (!this.#initialized) {
      this.#x = z;
      this.#v = 0;
      this.#p00 = r;
      this.#p01 = 0;
      this.#p11 = this.model === 'constant_rate' ? this.#initialRateVariance : 0;
      this.#timeUs = atUs;
      this.#initialized = true;
      return 0;
    }
    this.advance(atUs);
    const innovation = z - this.#x;
    const s = this.#p00 + r;
    const k0 = this.#p00 / s;
    const k1 = this.#p01 / s;
    this.#x += k0 * innovation;
    this.#v += k1 * innovation;
    // Covariance P − K S Kᵀ written out; symmetric by construction.
    const p00 = this.#p00 - k0 * this.#p00;
    const p01 = this.#p01 - k0 * this.#p01;
    const p11 = this.#p11 - k1 * this.#p01;
    this.#p00 = p00;
    this.#p01 = p01;
    this.#p11 = p11;
    return innovation;
  }

  /** Innovation variance S = P⁻ + R of a measurement at `atUs`. */
  innovationVariance(atUs: number, r = this.measurementVariance): number {
    return this.predict(atUs).variance + r;
  }

  reset(): void {
    this.#initialized = false;
  }
}
