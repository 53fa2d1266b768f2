import { RealFft } from './fft.js';

export interface Vec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface DoaParams {
  readonly sampleRateHz: number;
  /** FFT size of the spectra fed in (the denoiser's frame length). */
  readonly fftSize: number;
  /** Microphone positions in metres in the array frame; index = channel. */
  readonly positions: readonly Vec3[];
  readonly speedOfSoundMps: number;
  /** Band used for the cross-spectra (below: wind and rumble; above: spatial aliasing). */
  readonly bandLowHz: number;
  readonly bandHighHz: number;
  /** Cross-correlation interpolation factor (zero-padded inverse FFT). */
  readonly interpolation: number;
  /** Azimuth grid step in degrees. */
  readonly azimuthStepDeg: number;
  /** Lowest mean PHAT coherence at a peak to report a source (0…1). */
  readonly minConfidence: number;
  /** A second or third peak is reported when it reaches this fraction of the strongest. */
  readonly secondaryRatio: number;
  /** Peaks closer than this are one source. */
  readonly minSeparationDeg: number;
  readonly maxSources: number;
}

export const DEFAULT_DOA_PARAMS = Object.freeze({
  speedOfSoundMps: 343,
  bandLowHz: 200,
  bandHighHz: 5000,
  interpolation: 2,
  azimuthStepDeg: 1,
  minConfidence: 0.1,
  secondaryRatio: 0.5,
  minSeparationDeg: 25,
  maxSources: 3,
});

/** One direction-of-arrival estimate. */
export interface DoaSource {
  /** Azimuth about +z of the array frame, counter-clockwise from +x, in (−π, π]. */
  readonly bearingRad: number;
  /** 1-σ width of the steered-response peak, radians. */
  readonly bearingStdRad: number;
  /** Mean weighted PHAT coherence over microphone pairs at the peak (0…1; 1 = one clean plane wave). */
  readonly confidence: number;
}

/**
 * GCC-PHAT direction of arrival over all microphone pairs. For each pair the cross-spectrum
 * X_i·X_j* is whitened (PHAT: divided by its magnitude), weighted per bin by the product of the
 * two channels' Wiener gains (bins dominated by noise count little), summed over the frames of a
 * block and turned into an interpolated cross-correlation r_ij(τ) by a zero-padded inverse FFT.
 * A far-field source in direction u reaches mic i at −(p_i·u)/c, so the correlation of pair (i, j)
 * peaks at τ_ij = (p_j − p_i)·u / c; the azimuth grid is scored by the mean of r_ij(τ_ij(θ)) over
 * pairs (SRP-PHAT) and its separated peaks are the sources.
 */
export class GccPhatDoa {
  readonly pairs: readonly (readonly [number, number])[];
  private readonly bins: number;
  private readonly kLow: number;
  private readonly kHigh: number;
  private readonly m: number;
  private readonly cross: Float64Array[];
  /** Per channel: the current frame's spectrum divided by its magnitude, and |X|², bins kLow…kHigh. */
  private readonly unit: Float64Array[];
  private readonly magnitude2: Float64Array[];
  private readonly weightSum: Float64Array;
  private readonly maxLag: number;
  private readonly lagFft: RealFft;
  private readonly halfSpectrum: Float64Array;
  private readonly lagSignal: Float64Array;
  private readonly corr: Float64Array[];
  private readonly lagsPerAngle: Float64Array[];
  /** Per pair: the largest lag (interpolated samples) its spacing allows, + 2 for the interpolation. */
  private readonly pairMaxLag: Int32Array;
  private readonly azimuths: Float64Array;
  private readonly score: Float64Array;
  private readonly sortScratch: Float64Array;
  private framesInBlock = 0;

  constructor(readonly params: DoaParams) {
    const { positions, fftSize, sampleRateHz, interpolation } = params;
    const pairs: [number, number][] = [];
    for (let i = 0; i < positions.length; i++) for (let j = i + 1; j < positions.length; j++) pairs.push([i, j]);
    this.pairs = pairs;
    this.bins = fftSize / 2 + 1;
    this.kLow = Math.max(1, Math.ceil((params.bandLowHz * fftSize) / sampleRateHz));
    this.kHigh = Math.min(this.bins - 1, Math.floor((params.bandHighHz * fftSize) / sampleRateHz));
    this.m = fftSize * interpolation;
    this.cross = pairs.map(() => new Float64Array(2 * this.bins));
    this.unit = positions.map(() => new Float64Array(2 * this.bins));
    this.magnitude2 = positions.map(() => new Float64Array(this.bins));
    this.weightSum = new Float64Array(pairs.length);
    // Only lags the geometry allows are ever looked up (±maxLag); they come from one zero-padded
    // real inverse FFT of m = fftSize × interpolation points per pair. (Evaluating those lags directly
    // from a cos/sin table over lags × band bins gives the same numbers and cost ~1.4× more CPU here:
    // 4 pairs × 31 + 2 × 43 lags × 154 bins, and a 200 kB table.)
    this.maxLag = Math.ceil(this.maxDelayS * sampleRateHz * interpolation) + 2;
    const lagCount = 2 * this.maxLag + 1;
    if (!Number.isInteger(interpolation) || interpolation < 1 || (interpolation & (interpolation - 1)) !== 0) {
      throw new RangeError(`interpolation must be a power of two (1, 2, 4…), found ${String(interpolation)}`);
    }
    if (2 * this.maxLag >= this.m) {
      throw new RangeError(`the array spans ${String(this.maxLag)} interpolated lags, more than half of fftSize × interpolation (${String(this.m)}): use a longer frame`);
    }
    this.lagFft = new RealFft(this.m);
    this.halfSpectrum = new Float64Array(this.m + 2);
    this.lagSignal = new Float64Array(this.m);
    this.corr = pairs.map(() => new Float64Array(lagCount));
    this.pairMaxLag = Int32Array.from(pairs, ([i, j]) => {
      const a = positions[i] as Vec3;
      const b = positions[j] as Vec3;
      const d = Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z) / params.speedOfSoundMps;
      return Math.min(this.maxLag, Math.ceil(d * sampleRateHz * interpolation) + 2);
    });
    const steps = Math.round(360 / params.azimuthStepDeg);
    this.azimuths = new Float64Array(steps);
    this.score = new Float64Array(steps);
    this.sortScratch = new Float64Array(steps);
    this.lagsPerAngle = pairs.map(() => new Float64Array(steps));
    for (let a = 0; a < steps; a++) {
      const theta = ((a * params.azimuthStepDeg - 180 + params.azimuthStepDeg) * Math.PI) / 180;
      this.azimuths[a] = theta;
      const ux = Math.cos(theta);
      const uy = Math.sin(theta);
      pairs.forEach(([i, j], p) => {
        const pi = positions[i] as Vec3;
        const pj = positions[j] as Vec3;
        const tau = ((pj.x - pi.x) * ux + (pj.y - pi.y) * uy) / params.speedOfSoundMps;
        (this.lagsPerAngle[p] as Float64Array)[a] = tau * sampleRateHz * interpolation;
      });
    }
  }

  /** Largest pair delay the geometry allows, seconds. */
  get maxDelayS(): number {
    let max = 0;
    for (const [i, j] of this.pairs) {
      const a = this.params.positions[i] as Vec3;
      const b = this.params.positions[j] as Vec3;
      max = Math.max(max, Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z) / this.params.speedOfSoundMps);
    }
    return max;
  }

  /**
   * Add one frame: `spectra[c]` is channel c's half spectrum (interleaved complex) at `offset`,
   * `gains[c]` its per-bin weights at `gainOffset` (pass undefined for plain PHAT).
   */
  addFrame(
    spectra: readonly Float64Array[],
    offset: number,
    gains: readonly Float64Array[] | undefined,
    gainOffset: number,
  ): void {
    this.framesInBlock++;
    const kLow = this.kLow;
    const kHigh = this.kHigh;
    // PHAT: X_i·X_j* / |X_i·X_j*| = (X_i/|X_i|)·(X_j/|X_j|)*, so each channel is whitened once
    // (one square root per channel and bin instead of one per pair and bin).
    for (let c = 0; c < this.unit.length; c++) {
      const x = spectra[c] as Float64Array;
      const u = this.unit[c] as Float64Array;
      const m2 = this.magnitude2[c] as Float64Array;
      for (let k = kLow; k <= kHigh; k++) {
        const re = x[offset + 2 * k] as number;
        const im = x[offset + 2 * k + 1] as number;
        const p2 = re * re + im * im;
        m2[k] = p2;
        const inv = p2 > 0 ? 1 / Math.sqrt(p2) : 0;
        u[2 * k] = re * inv;
        u[2 * k + 1] = im * inv;
      }
    }
    for (let p = 0; p < this.pairs.length; p++) {
      const [i, j] = this.pairs[p] as readonly [number, number];
      const ui = this.unit[i] as Float64Array;
      const uj = this.unit[j] as Float64Array;
      const mi = this.magnitude2[i] as Float64Array;
      const mj = this.magnitude2[j] as Float64Array;
      const gi = gains?.[i];
      const gj = gains?.[j];
      const acc = this.cross[p] as Float64Array;
      let wsum = 0;
      for (let k = kLow; k <= kHigh; k++) {
        // |X_i·X_j*|² = |X_i|²·|X_j|²: a bin without energy carries no phase
        if ((mi[k] as number) * (mj[k] as number) <= 1e-60) continue;
        const ar = ui[2 * k] as number;
        const ai = ui[2 * k + 1] as number;
        const br = uj[2 * k] as number;
        const bi = uj[2 * k + 1] as number;
        const w = gi !== undefined && gj !== undefined ? (gi[gainOffset + k] as number) * (gj[gainOffset + k] as number) : 1;
        acc[2 * k] = (acc[2 * k] as number) + (ar * br + ai * bi) * w;
        acc[2 * k + 1] = (acc[2 * k + 1] as number) + (ai * br - ar * bi) * w;
        wsum += w;
      }
      this.weightSum[p] = (this.weightSum[p] as number) + wsum;
    }
  }

  get frames(): number {
    return this.framesInBlock;
  }

  /** Estimate the sources of the frames added since the last call, and start a new block. */
  estimate(): DoaSource[] {
    if (this.framesInBlock === 0 || this.pairs.length === 0) return [];
    const lagCount = 2 * this.maxLag + 1;
    const m = this.m;
    const half = this.halfSpectrum;
    const y = this.lagSignal;
    const kLow = this.kLow;
    const kHigh = this.kHigh;
    for (let p = 0; p < this.pairs.length; p++) {
      const acc = this.cross[p] as Float64Array;
      const ws = this.weightSum[p] as number;
      // r(τ) = Σ_k Re(C_k e^{+2πikτ/m}) / Σw: the weighted mean cos(phase error), 1 at a perfect match.
      // The real inverse FFT of the band (zero elsewhere, so bins 0 and m/2 are empty) is
      // y[l] = (2/m) Σ_k Re(C_k e^{2πikl/m}), hence r(l) = y[l]·m/2 and r(−l) = y[m − l]·m/2.
      const scale = ws > 0 ? m / 2 / ws : 0;
      half.fill(0);
      for (let k = kLow; k <= kHigh; k++) {
        half[2 * k] = (acc[2 * k] as number) * scale;
        half[2 * k + 1] = (acc[2 * k + 1] as number) * scale;
      }
      this.lagFft.inverse(half, y);
      const corr = this.corr[p] as Float64Array;
      const zero = this.maxLag;
      const last = this.pairMaxLag[p] as number;
      corr[zero] = y[0] as number;
      for (let l = 1; l <= last; l++) {
        corr[zero + l] = y[l] as number;
        corr[zero - l] = y[m - l] as number;
      }
    }
    const steps = this.score.length;
    for (let a = 0; a < steps; a++) {
      let s = 0;
      for (let p = 0; p < this.pairs.length; p++) {
        const corr = this.corr[p] as Float64Array;
        const pos = Math.min(Math.max(((this.lagsPerAngle[p] as Float64Array)[a] as number) + this.maxLag, 0), lagCount - 1.000001);
        const i0 = Math.floor(pos);
        const f = pos - i0;
        const v0 = corr[i0] as number;
        const v1 = corr[i0 + 1] as number;
        s += v0 + f * (v1 - v0);
      }
      this.score[a] = s / this.pairs.length;
    }
    this.clearBlock();
    return this.peaks();
  }

  /** The steered response of the last estimate, one value per azimuth grid step (for plots and tests). */
  get response(): { readonly azimuthsRad: Float64Array; readonly score: Float64Array } {
    return { azimuthsRad: this.azimuths, score: this.score };
  }

  reset(): void {
    this.clearBlock();
  }

  private clearBlock(): void {
    for (const c of this.cross) c.fill(0);
    this.weightSum.fill(0);
    this.framesInBlock = 0;
  }

  private peaks(): DoaSource[] {
    const { minConfidence, secondaryRatio, minSeparationDeg, maxSources, azimuthStepDeg } = this.params;
    const score = this.score;
    const n = score.length;
    const floor = medianOf(score, this.sortScratch);
    const candidates: number[] = [];
    for (let a = 0; a < n; a++) {
      const v = score[a] as number;
      if (v >= (score[(a + n - 1) % n] as number) && v > (score[(a + 1) % n] as number)) candidates.push(a);
    }
    candidates.sort((x, y) => (score[y] as number) - (score[x] as number));
    const chosen: number[] = [];
    const top = candidates.length > 0 ? (score[candidates[0] as number] as number) : 0;
    const sepSteps = minSeparationDeg / azimuthStepDeg;
    for (const a of candidates) {
      const v = score[a] as number;
      if (v < minConfidence || v < secondaryRatio * top || chosen.length >= maxSources) break;
      if (chosen.some((b) => Math.min(Math.abs(a - b), n - Math.abs(a - b)) < sepSteps)) continue;
      chosen.push(a);
    }
    return chosen.map((a) => {
      const v = score[a] as number;
      const half = (v + floor) / 2;
      let left = 0;
      while (left < n / 2 && (score[(a - left - 1 + n) % n] as number) >= half) left++;
      let right = 0;
      while (right < n / 2 && (score[(a + right + 1) % n] as number) >= half) right++;
      const hwhmDeg = ((left + right + 1) / 2) * azimuthStepDeg;
      // Half width at half maximum of a Gaussian is 1.1774 σ.
      const stdDeg = Math.max(azimuthStepDeg / 2, hwhmDeg / 1.1774);
      return {
        bearingRad: this.azimuths[a] as number,
        bearingStdRad: (stdDeg * Math.PI) / 180,
        confidence: Math.max(0, Math.min(1, v)),
      };
    });
  }
}

/** Median (the ⌊n/2⌋-th smallest) of `values` by quickselect in `scratch` (no sort, no allocation). */
function medianOf(values: Float64Array, scratch: Float64Array): number {
  const a = scratch;
  a.set(values);
  const k = Math.floor(values.length / 2);
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] as number;
}
