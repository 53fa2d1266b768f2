import FFTJs from 'fft.js';

interface FftJsInstance {
  createComplexArray(): number[];
  realTransform(out: number[] | Float64Array, data: ArrayLike<number>): void;
  completeSpectrum(spectrum: number[] | Float64Array): void;
  transform(out: number[] | Float64Array, data: ArrayLike<number>): void;
  inverseTransform(out: number[] | Float64Array, data: ArrayLike<number>): void;
}
const FftJs = FFTJs as unknown as new (size: number) => FftJsInstance;

/**
 * Real-input FFT of a power-of-two size on top of fft.js (radix-4). Spectra are interleaved
 * complex Float64Arrays (re, im, re, im…). Scratch buffers are allocated once per instance.
 */
export class RealFft {
  readonly bins: number;
  private readonly fft: FftJsInstance;
  private readonly full: Float64Array;
  private readonly scratch: Float64Array;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new RangeError(`FFT size must be a power of two ≥ 4, found ${String(size)}`);
    }
    this.fft = new FftJs(size);
    this.bins = size / 2 + 1;
    this.full = new Float64Array(2 * size);
    this.scratch = new Float64Array(2 * size);
  }

  /** Bins 0…N/2 of the DFT X[k] = Σ x[n] e^{−2πikn/N}, interleaved, into `out` (length ≥ 2·bins). */
  forward(input: ArrayLike<number>, out: Float64Array = new Float64Array(2 * this.bins)): Float64Array {
    if (input.length !== this.size) throw new RangeError(`expected ${String(this.size)} samples, found ${String(input.length)}`);
    this.fft.realTransform(this.full, input);
    out.set(this.full.subarray(0, 2 * this.bins));
    return out;
  }

  /** |X[k]|² for k = 0…N/2. */
  power(input: ArrayLike<number>, out: Float64Array = new Float64Array(this.bins)): Float64Array {
    this.fft.realTransform(this.full, input);
    const f = this.full;
    for (let k = 0; k < this.bins; k++) {
      const re = f[2 * k] as number;
      const im = f[2 * k + 1] as number;
      out[k] = re * re + im * im;
    }
    return out;
  }

  /** Complex inverse DFT of an interleaved spectrum of `size` bins (including the 1/N). */
  inverseComplex(out: Float64Array, spectrum: Float64Array): void {
    this.fft.inverseTransform(out, spectrum);
  }

  /** Real signal whose half spectrum (bins 0…N/2, interleaved) is given: x[n] = (1/N) Σ X[k] e^{2πikn/N}. */
  inverse(halfSpectrum: Float64Array, out: Float64Array = new Float64Array(this.size)): Float64Array {
    const n = this.size;
    const s = this.scratch;
    s.set(halfSpectrum.subarray(0, 2 * this.bins));
    for (let k = 1; k < n / 2; k++) {
      s[2 * (n - k)] = halfSpectrum[2 * k] as number;
      s[2 * (n - k) + 1] = -(halfSpectrum[2 * k + 1] as number);
    }
    this.fft.inverseTransform(this.full, s);
    for (let i = 0; i < n; i++) out[i] = this.full[2 * i] as number;
    return out;
  }
}
