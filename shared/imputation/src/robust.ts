import { InvalidSeriesError } from './errors.js';

/** 1.4826 · MAD estimates σ of Gaussian data (1 / Φ⁻¹(3/4)). */
export const MAD_TO_SIGMA = 1.482602218505602;

/** Median of `values[start, end)` (non-finite values must be removed by the caller). Copies; windows are small. */
export function median(values: ArrayLike<number>, start = 0, end = values.length): number {
  const n = end - start;
  if (n <= 0) return Number.NaN;
  const copy = new Float64Array(n);
  for (let i = 0; i < n; i++) copy[i] = values[start + i] ?? Number.NaN;
  copy.sort();
  const mid = n >> 1;
  return n % 2 === 1 ? (copy[mid] ?? Number.NaN) : ((copy[mid - 1] ?? 0) + (copy[mid] ?? 0)) / 2;
}

function checkHalfWindow(halfWindow: number): void {
  if (!Number.isInteger(halfWindow) || halfWindow < 1) {
    throw new InvalidSeriesError(`halfWindow must be an integer >= 1, found ${halfWindow}`);
  }
}

/** Centred running median with a window of 2·halfWindow + 1, truncated at the ends (as MATLAB medfilt1 'truncate'). */
export function medianFilter(values: ArrayLike<number>, halfWindow: number): Float64Array {
  checkHalfWindow(halfWindow);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = median(values, Math.max(0, i - halfWindow), Math.min(n, i + halfWindow + 1));
  return out;
}

export interface HampelOptions {
  /** Samples each side of the centre; the window has 2·halfWindow + 1 samples (truncated at the ends). */
  readonly halfWindow: number;
  /** Threshold in robust standard deviations (1.4826 · MAD). Default 3. */
  readonly nSigmas?: number;
  /** Floor of the robust σ, so a flat (quantised) window does not flag every change; default 0. */
  readonly minSigma?: number;
}

export interface HampelResult {
  /** Input with each outlier replaced by its window median. */
  readonly filtered: Float64Array;
  /** 1 where the sample was an outlier. */
  readonly outliers: Uint8Array;
}

/**
 * The Hampel identifier (as MATLAB `hampel`): a sample is an outlier when it is more than
 * nSigmas · 1.4826 · MAD from the median of its centred window; it is replaced by that median.
 */
export function hampelFilter(values: ArrayLike<number>, options: HampelOptions): HampelResult {
  checkHalfWindow(options.halfWindow);
  const nSigmas = options.nSigmas ?? 3;
  const minSigma = options.minSigma ?? 0;
  const n = values.length;
  const filtered = new Float64Array(n);
  const outliers = new Uint8Array(n);
  const deviations = new Float64Array(2 * options.halfWindow + 1);
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - options.halfWindow);
    const hi = Math.min(n, i + options.halfWindow + 1);
    const m = median(values, lo, hi);
    for (let j = lo; j < hi; j++) deviations[j - lo] = Math.abs((values[j] ?? 0) - m);
    const sigma = Math.max(MAD_TO_SIGMA * median(deviations, 0, hi - lo), minSigma);
    const x = values[i] ?? Number.NaN;
    if (Math.abs(x - m) > nSigmas * sigma) {
      outliers[i] = 1;
      filtered[i] = m;
    } else {
      filtered[i] = x;
    }
  }
  return { filtered, outliers };
}

export interface HampelVerdict {
  readonly outlier: boolean;
  /** Median of the window (the current sample included). */
  readonly median: number;
  /** Robust σ of the window after the floor. */
  readonly sigma: number;
}

/**
 * Causal Hampel identifier for a stream: the window is the newest `size` accepted-or-not raw
 * samples including the current one (no look-ahead, so a step change is flagged for up to
 * ⌊size/2⌋ samples until the median follows it). Fewer than `minSamples` samples: never an outlier.
 * Allocation-free per sample.
 */
export class HampelWindow {
  readonly #ring: Float64Array;
  readonly #sorted: Float64Array;
  readonly #dev: Float64Array;
  #count = 0;
  #next = 0;

  constructor(
    readonly size: number,
    readonly nSigmas: number,
    readonly minSigma: number,
    readonly minSamples = Math.min(size, 5),
  ) {
    if (!Number.isInteger(size) || size < 3) throw new InvalidSeriesError(`Hampel window size must be an integer >= 3, found ${size}`);
    this.#ring = new Float64Array(size);
    this.#sorted = new Float64Array(size);
    this.#dev = new Float64Array(size);
  }

  /** Adds a sample and judges it against the window it completes. */
  push(x: number): HampelVerdict {
    this.#ring[this.#next] = x;
    this.#next = (this.#next + 1) % this.size;
    if (this.#count < this.size) this.#count++;
    const n = this.#count;
    const sorted = this.#sorted;
    for (let i = 0; i < n; i++) sorted[i] = this.#ring[i] ?? 0;
    insertionSort(sorted, n);
    const m = middleOf(sorted, n);
    const dev = this.#dev;
    for (let i = 0; i < n; i++) dev[i] = Math.abs((sorted[i] ?? 0) - m);
    insertionSort(dev, n);
    const sigma = Math.max(MAD_TO_SIGMA * middleOf(dev, n), this.minSigma);
    return { outlier: n >= this.minSamples && Math.abs(x - m) > this.nSigmas * sigma, median: m, sigma };
  }

  reset(): void {
    this.#count = 0;
    this.#next = 0;
  }
}

/** Windows are a few samples long: insertion sort beats TypedArray#sort's call overhead there. */
function insertionSort(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = a[i] ?? 0;
    let j = i - 1;
    while (j >= 0 && (a[j] ?? 0) > x) {
      a[j + 1] = a[j] ?? 0;
      j--;
    }
    a[j + 1] = x;
  }
}

function middleOf(sorted: Float64Array, n: number): number {
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
