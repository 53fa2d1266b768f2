export type MelScale = 'slaney' | 'htk';
export type MelNorm = 'slaney' | 'none';

export function hzToMel(hz: number, scale: MelScale): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logStep : hz / fSp;
}

export function melToHz(mel: number, scale: MelScale): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel >= minLogMel ? minLogHz * Math.exp(logStep * (mel - minLogMel)) : fSp * mel;
}

export interface MelFilterbankParams {
  readonly sampleRateHz: number;
  readonly fftSize: number;
  readonly nMels: number;
  readonly fminHz: number;
  readonly fmaxHz: number;
  readonly scale: MelScale;
  readonly norm: MelNorm;
}

/**
 * Triangular mel filterbank with librosa.filters.mel's definition (Slaney scale and area
 * normalisation by default; HTK optional), stored sparsely: filter m covers bins
 * start[m] … start[m] + weights[m].length − 1.
 */
export class MelFilterbank {
  readonly starts: Int32Array;
  readonly weights: readonly Float64Array[];

  constructor(readonly params: MelFilterbankParams) {
    const { sampleRateHz, fftSize, nMels, fminHz, fmaxHz, scale, norm } = params;
    if (!(fminHz >= 0 && fmaxHz > fminHz && fmaxHz <= sampleRateHz / 2)) {
      throw new RangeError(`mel band must satisfy 0 ≤ fmin < fmax ≤ fs/2, found ${String(fminHz)}…${String(fmaxHz)} Hz`);
    }
    const bins = fftSize / 2 + 1;
    const lo = hzToMel(fminHz, scale);
    const hi = hzToMel(fmaxHz, scale);
    const melF = new Float64Array(nMels + 2);
    for (let i = 0; i < nMels + 2; i++) melF[i] = melToHz(lo + ((hi - lo) * i) / (nMels + 1), scale);
    this.starts = new Int32Array(nMels);
    const weights: Float64Array[] = [];
    for (let m = 0; m < nMels; m++) {
      const f0 = melF[m] as number;
      const f1 = melF[m + 1] as number;
      const f2 = melF[m + 2] as number;
      const enorm = norm === 'slaney' ? 2 / (f2 - f0) : 1;
      const row: number[] = [];
      let first = -1;
      for (let k = 0; k < bins; k++) {
        const f = (k * sampleRateHz) / fftSize;
        const w = Math.max(0, Math.min((f - f0) / (f1 - f0), (f2 - f) / (f2 - f1)));
        if (w > 0) {
          if (first < 0) first = k;
          // keep interior zeros so the row stays contiguous
          while (row.length < k - first) row.push(0);
          row.push(w * enorm);
        }
      }
      this.starts[m] = Math.max(first, 0);
      weights.push(Float64Array.from(row));
    }
    this.weights = weights;
  }

  /** Mel energies of one power spectrum (bins 0…N/2) into `out`. */
  apply(power: Float64Array, out: Float32Array | Float64Array, offset = 0): void {
    for (let m = 0; m < this.weights.length; m++) {
      const w = this.weights[m] as Float64Array;
      const s = this.starts[m] as number;
      let acc = 0;
      for (let j = 0; j < w.length; j++) acc += (w[j] as number) * (power[s + j] as number);
      out[offset + m] = acc;
    }
  }
}
