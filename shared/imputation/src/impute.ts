import { InvalidSeriesError } from './errors.js';
import { chiSquareDraw, gaussian, seededRandom, type RandomSource } from './random.js';
import { SimpleRls } from './rls.js';

/** How a missing value is filled (the values of SensorState.imputationMethod other than none/other). */
export type ImputationMethod = 'last_value' | 'linear' | 'mean' | 'kalman' | 'multiple' | 'cross_sensor';

export const IMPUTATION_METHODS: readonly ImputationMethod[] = ['last_value', 'linear', 'mean', 'kalman', 'multiple', 'cross_sensor'];

/** Parameters of the local-level model y = x + v, x' = w: Var(v) = R, Var(x(t+dt) − x(t)) = q·dt. */
export interface LocalLevelParams {
  /** q, unit²/s. */
  readonly processNoise: number;
  /** R, unit². */
  readonly measurementVariance: number;
  /** Number of observation pairs behind the estimate (its degrees of freedom for the draws). */
  readonly pairs: number;
}

const US_PER_S = 1_000_000;
const TINY = 1e-12;

function validate(timesUs: ArrayLike<number>, values: ArrayLike<number>): void {
  if (timesUs.length !== values.length) {
    throw new InvalidSeriesError(`timesUs and values must have the same length, found ${timesUs.length} and ${values.length}`);
  }
  for (let i = 0; i < timesUs.length; i++) {
    const t = timesUs[i] ?? Number.NaN;
    if (!Number.isFinite(t) || (i > 0 && t <= (timesUs[i - 1] ?? 0))) {
      throw new InvalidSeriesError(`timesUs must be finite and strictly increasing, found ${t} at index ${i}`);
    }
  }
}

function isObserved(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

/** Pairs up to this many samples apart enter the moment fit. */
const MAX_LAG = 8;

/**
 * Method-of-moments fit of the local-level model from the observed samples alone: for pairs of
 * observations dt apart, E[(y₂ − y₁)²] = q·dt + 2R. A least-squares line through the squared
 * differences of all observed pairs up to 8 samples apart against dt gives 2R (intercept) and q
 * (slope). Lags 1 and 2 alone leave q a small difference of noisy numbers (often ≤ 0 when R
 * dominates), which made every interval overconfident; longer lags pin the slope down.
 */
export function estimateLocalLevel(timesUs: ArrayLike<number>, values: ArrayLike<number>): LocalLevelParams {
  validate(timesUs, values);
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < values.length; i++) {
    const yi = values[i];
    if (!isObserved(yi)) continue;
    for (let lag = 1; lag <= MAX_LAG; lag++) {
      const yj = values[i + lag];
      if (!isObserved(yj)) continue;
      const dt = ((timesUs[i + lag] ?? 0) - (timesUs[i] ?? 0)) / US_PER_S;
      const d2 = (yj - yi) * (yj - yi);
      n++;
      sx += dt;
      sy += d2;
      sxx += dt * dt;
      sxy += dt * d2;
    }
  }
  if (n < 3) throw new InvalidSeriesError(`estimateLocalLevel needs at least 3 observed pairs, found ${n}`);
  const det = n * sxx - sx * sx;
  let slope = det > 0 ? (n * sxy - sx * sy) / det : 0;
  let intercept = (sy - slope * sx) / n;
  if (slope <= 0) {
    // No growth with dt: noise only; keep a small process noise so predictions still widen.
    slope = Math.max(TINY, (sy / n) * 1e-3);
    intercept = sy / n;
  }
  if (intercept <= 0) intercept = Math.max(TINY, (slope * sx) / n * 1e-3);
  return { processNoise: slope, measurementVariance: intercept / 2, pairs: n };
}

/** Forward filter and RTS smoother of the local-level model on the given sample times. */
export interface LocalLevelSmoothing {
  readonly predictedMean: Float64Array;
  readonly predictedVariance: Float64Array;
  readonly smoothedMean: Float64Array;
  readonly smoothedVariance: Float64Array;
}

export function smoothLocalLevel(
  timesUs: ArrayLike<number>,
  values: ArrayLike<number>,
  params: Pick<LocalLevelParams, 'processNoise' | 'measurementVariance'>,
): LocalLevelSmoothing {
  validate(timesUs, values);
  const n = values.length;
  const q = params.processNoise;
  const r = params.measurementVariance;
  const predictedMean = new Float64Array(n);
  const predictedVariance = new Float64Array(n);
  const filteredMean = new Float64Array(n);
  const filteredVariance = new Float64Array(n);
  let first = Number.NaN;
  for (let i = 0; i < n && Number.isNaN(first); i++) if (isObserved(values[i])) first = values[i] ?? Number.NaN;
  if (Number.isNaN(first)) throw new InvalidSeriesError('the series has no observed (finite) value');
  // Diffuse-enough prior at the first sample: the first observation dominates it.
  let x = first;
  let p = 1e6 * (r + q + 1);
  for (let i = 0; i < n; i++) {
    if (i > 0) p += (q * ((timesUs[i] ?? 0) - (timesUs[i - 1] ?? 0))) / US_PER_S;
    predictedMean[i] = x;
    predictedVariance[i] = p;
    const y = values[i];
    if (isObserved(y)) {
      const k = p / (p + r);
      x += k * (y - x);
      p *= 1 - k;
    }
    filteredMean[i] = x;
    filteredVariance[i] = p;
  }
  const smoothedMean = new Float64Array(n);
  const smoothedVariance = new Float64Array(n);
  smoothedMean[n - 1] = filteredMean[n - 1] ?? 0;
  smoothedVariance[n - 1] = filteredVariance[n - 1] ?? 0;
  for (let i = n - 2; i >= 0; i--) {
    const pf = filteredVariance[i] ?? 0;
    const pp = predictedVariance[i + 1] ?? 1;
    const c = pf / pp;
    smoothedMean[i] = (filteredMean[i] ?? 0) + c * ((smoothedMean[i + 1] ?? 0) - (predictedMean[i + 1] ?? 0));
    smoothedVariance[i] = Math.max(TINY, pf + c * c * ((smoothedVariance[i + 1] ?? 0) - pp));
  }
  return { predictedMean, predictedVariance, smoothedMean, smoothedVariance };
}

export interface ImputeSeriesOptions {
  /** Model parameters; default estimated from the series (estimateLocalLevel). */
  readonly params?: LocalLevelParams;
  /** Draws of multiple imputation; default 20. */
  readonly draws?: number;
  /** Random source of the draws; default a fixed seed (reproducible). */
  readonly random?: RandomSource;
  /** cross_sensor: series of correlated sensors on the same sample times (NaN where missing). */
  readonly predictors?: readonly ArrayLike<number>[];
  /** cross_sensor: RLS forgetting factor; default 0.999. */
  readonly forgetting?: number;
  /** cross_sensor: co-observed pairs before a regression may impute; default 20. */
  readonly minPairs?: number;
}

export interface SeriesImputation {
  readonly method: ImputationMethod;
  /** Observed values where present, imputed values elsewhere. Always finite. */
  readonly mean: Float64Array;
  /** 1σ of the true (latent) value: √R at observed samples, the method's uncertainty at imputed ones. */
  readonly std: Float64Array;
  /** 1 where the value was imputed. */
  readonly imputed: Uint8Array;
  /** Degrees of freedom of the interval (draws − 1 for multiple imputation, ∞ otherwise). */
  readonly dof: number;
  /** cross_sensor: imputed samples with no usable predictor, filled by Kalman prediction instead. */
  readonly fallbacks: number;
  readonly params: LocalLevelParams;
}

/**
 * Fills the non-finite entries of `values` (sampled at `timesUs`) with `method`, each with an
 * uncertainty from the local-level model (random walk + white noise) unless the method has its own:
 * - last_value: the previous observation; variance R + q·(time since it).
 * - linear: the straight line between the neighbouring observations; variance of a Brownian
 *   bridge q·a·b/(a+b) plus the endpoints' noise.
 * - mean: the mean of all observations; their sample variance.
 * - kalman: the causal Kalman prediction (no future samples); its predicted variance.
 * - multiple: `draws` plausible values per gap from the smoothed posterior, each draw with its own
 *   parameters drawn around the estimate (scaled inverse χ²), reported as their mean and
 *   √((1 + 1/m)·B) (Rubin's rules with no within-draw variance), dof m − 1.
 * - cross_sensor: an online regression (RLS) on the best-explaining predictor series, trained on
 *   the samples seen so far; its predictive variance (conservative: it includes the target's R).
 */
export function imputeSeries(
  timesUs: ArrayLike<number>,
  values: ArrayLike<number>,
  method: ImputationMethod,
  options: ImputeSeriesOptions = {},
): SeriesImputation {
  validate(timesUs, values);
  const n = values.length;
  const params = options.params ?? estimateLocalLevel(timesUs, values);
  const q = params.processNoise;
  const r = params.measurementVariance;
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  const imputed = new Uint8Array(n);
  let observedCount = 0;
  for (let i = 0; i < n; i++) {
    const y = values[i];
    if (isObserved(y)) {
      mean[i] = y;
      std[i] = Math.sqrt(r);
      observedCount++;
    } else {
      imputed[i] = 1;
    }
  }
  if (observedCount === 0) throw new InvalidSeriesError('the series has no observed (finite) value');
  let dof = Number.POSITIVE_INFINITY;
  let fallbacks = 0;
  const t = (i: number): number => (timesUs[i] ?? 0) / US_PER_S;

  const previous = new Int32Array(n);
  const next = new Int32Array(n);
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (!imputed[i]) last = i;
    previous[i] = last;
  }
  last = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (!imputed[i]) last = i;
    next[i] = last;
  }
  const holdFrom = (i: number): void => {
    const j = previous[i] ?? -1;
    const k = j >= 0 ? j : (next[i] ?? 0);
    mean[i] = mean[k] ?? 0;
    std[i] = Math.sqrt(r + q * Math.abs(t(i) - t(k)));
  };

  switch (method) {
    case 'last_value':
      for (let i = 0; i < n; i++) if (imputed[i]) holdFrom(i);
      break;
    case 'linear':
      for (let i = 0; i < n; i++) {
        if (!imputed[i]) continue;
        const j = previous[i] ?? -1;
        const k = next[i] ?? -1;
        if (j < 0 || k < 0) {
          holdFrom(i);
          continue;
        }
        const a = t(i) - t(j);
        const b = t(k) - t(i);
        const w = a / (a + b);
        mean[i] = (1 - w) * (mean[j] ?? 0) + w * (mean[k] ?? 0);
        std[i] = Math.sqrt(((1 - w) * (1 - w) + w * w) * r + (q * a * b) / (a + b));
      }
      break;
    case 'mean': {
      let sum = 0;
      for (let i = 0; i < n; i++) if (!imputed[i]) sum += mean[i] ?? 0;
      const mu = sum / observedCount;
      let ss = 0;
      for (let i = 0; i < n; i++) if (!imputed[i]) ss += ((mean[i] ?? 0) - mu) ** 2;
      const sd = Math.sqrt((ss / Math.max(1, observedCount - 1)) * (1 + 1 / observedCount));
      for (let i = 0; i < n; i++) {
        if (!imputed[i]) continue;
        mean[i] = mu;
        std[i] = sd;
      }
      break;
    }
    case 'kalman': {
      const s = smoothLocalLevel(timesUs, values, params);
      for (let i = 0; i < n; i++) {
        if (!imputed[i]) continue;
        mean[i] = s.predictedMean[i] ?? 0;
        std[i] = Math.sqrt(s.predictedVariance[i] ?? 0);
      }
      break;
    }
    case 'multiple': {
      const m = options.draws ?? 20;
      if (!Number.isInteger(m) || m < 2) throw new InvalidSeriesError(`draws must be an integer >= 2, found ${m}`);
      const random = options.random ?? seededRandom(0x5eed);
      const sum = new Float64Array(n);
      const sumSq = new Float64Array(n);
      // Overlapping pairs are not independent: count the observed samples, not the pairs.
      const nu = Math.max(2, Math.round(observedCount / 2));
      for (let d = 0; d < m; d++) {
        const drawn = {
          processNoise: (q * nu) / Math.max(TINY, chiSquareDraw(random, nu)),
          measurementVariance: (r * nu) / Math.max(TINY, chiSquareDraw(random, nu)),
        };
        const s = smoothLocalLevel(timesUs, values, drawn);
        for (let i = 0; i < n; i++) {
          if (!imputed[i]) continue;
          const x = (s.smoothedMean[i] ?? 0) + Math.sqrt(s.smoothedVariance[i] ?? 0) * gaussian(random);
          sum[i] = (sum[i] ?? 0) + x;
          sumSq[i] = (sumSq[i] ?? 0) + x * x;
        }
      }
      for (let i = 0; i < n; i++) {
        if (!imputed[i]) continue;
        const mu = (sum[i] ?? 0) / m;
        const between = Math.max(0, ((sumSq[i] ?? 0) - m * mu * mu) / (m - 1));
        mean[i] = mu;
        std[i] = Math.sqrt((1 + 1 / m) * between);
      }
      dof = m - 1;
      break;
    }
    case 'cross_sensor': {
      const predictors = options.predictors ?? [];
      for (const p of predictors) {
        if (p.length !== n) throw new InvalidSeriesError(`each predictor must have ${n} samples, found ${p.length}`);
      }
      const minPairs = options.minPairs ?? 20;
      const models = predictors.map(() => new SimpleRls(options.forgetting ?? 0.999));
      const kalman = smoothLocalLevel(timesUs, values, params);
      for (let i = 0; i < n; i++) {
        if (!imputed[i]) {
          const y = mean[i] ?? 0;
          predictors.forEach((p, j) => models[j]?.update(p[i] ?? Number.NaN, y));
          continue;
        }
        let best = -1;
        let bestR2 = Number.NEGATIVE_INFINITY;
        predictors.forEach((p, j) => {
          const model = models[j];
          if (model === undefined || model.count < minPairs || !isObserved(p[i])) return;
          if (model.rSquared > bestR2) {
            bestR2 = model.rSquared;
            best = j;
          }
        });
        const model = models[best];
        const x = predictors[best]?.[i];
        if (model === undefined || x === undefined) {
          mean[i] = kalman.predictedMean[i] ?? 0;
          std[i] = Math.sqrt(kalman.predictedVariance[i] ?? 0);
          fallbacks++;
          continue;
        }
        const prediction = model.predict(x);
        mean[i] = prediction.mean;
        // The predictive variance of a new reading (it includes the target's noise R): subtracting an
        // estimated R left near-zero intervals whenever R was overestimated, so stay conservative.
        std[i] = Math.sqrt(Math.max(prediction.variance, TINY));
      }
      break;
    }
  }
  return { method, mean, std, imputed, dof, fallbacks, params };
}

/**
 * Latent value at time t inside a gap, given the filtered estimate (x0, P0) at t0 and the next
 * measurement y1 (variance R) at t1, under a random walk with intensity q: Gaussian conditioning
 * of the bridge. This is what `linear` becomes online, with the filter's own uncertainty at t0.
 */
export function bridgeEstimate(
  t0Us: number,
  x0: number,
  p0: number,
  t1Us: number,
  y1: number,
  r: number,
  q: number,
  tUs: number,
): { mean: number; variance: number } {
  const a = p0 + (q * (tUs - t0Us)) / US_PER_S;
  const b = (q * (t1Us - tUs)) / US_PER_S + r;
  const mean = x0 + (a / (a + b)) * (y1 - x0);
  return { mean, variance: Math.max(TINY, (a * b) / (a + b)) };
}
