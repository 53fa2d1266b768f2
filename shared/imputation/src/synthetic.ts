import { gaussian, type RandomSource } from './random.js';

export interface SyntheticSignal {
  readonly timesUs: Float64Array;
  /** The latent (true) value. */
  readonly truth: Float64Array;
  /** truth + white measurement noise. */
  readonly measured: Float64Array;
}

/**
 * Ground truth for imputation experiments: a random walk (intensity q, unit²/s) plus an optional
 * sinusoid (a diurnal-like cycle), sampled at `rateHz`, measured with white noise of std `noiseStd`.
 */
export function syntheticSignal(options: {
  readonly samples: number;
  readonly rateHz: number;
  readonly processNoise: number;
  readonly noiseStd: number;
  readonly random: RandomSource;
  readonly startUs?: number;
  readonly sineAmplitude?: number;
  readonly sinePeriodS?: number;
}): SyntheticSignal {
  const { samples, rateHz, random } = options;
  const timesUs = new Float64Array(samples);
  const truth = new Float64Array(samples);
  const measured = new Float64Array(samples);
  const dt = 1 / rateHz;
  let walk = 0;
  for (let i = 0; i < samples; i++) {
    if (i > 0) walk += Math.sqrt(options.processNoise * dt) * gaussian(random);
    const t = i * dt;
    const sine = (options.sineAmplitude ?? 0) * Math.sin((2 * Math.PI * t) / (options.sinePeriodS ?? 60));
    timesUs[i] = (options.startUs ?? 0) + Math.round(t * 1_000_000);
    const value = walk + sine;
    truth[i] = value;
    measured[i] = value + options.noiseStd * gaussian(random);
  }
  return { timesUs, truth, measured };
}

/** Which samples to remove: independently at random, or in bursts of 1..maxBurst consecutive samples. */
export type GapPattern = 'random' | 'bursts';

/**
 * A copy of `values` with about `fraction` of the samples set to NaN (never the first and last,
 * so every method has an anchor on both sides).
 */
export function removeSamples(values: Float64Array, fraction: number, pattern: GapPattern, random: RandomSource, maxBurst = 40): Float64Array {
  const out = Float64Array.from(values);
  const n = values.length;
  const target = Math.round(fraction * (n - 2));
  let removed = 0;
  if (pattern === 'random') {
    const order = Array.from({ length: n - 2 }, (_, i) => i + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const a = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = a;
    }
    for (let k = 0; k < target; k++) out[order[k] ?? 0] = Number.NaN;
    return out;
  }
  let guard = 0;
  while (removed < target && guard++ < 100 * n) {
    const start = 1 + Math.floor(random() * (n - 2));
    const length = 1 + Math.floor(random() * maxBurst);
    for (let i = start; i < Math.min(n - 1, start + length) && removed < target; i++) {
      if (!Number.isNaN(out[i])) {
        out[i] = Number.NaN;
        removed++;
      }
    }
  }
  return out;
}
