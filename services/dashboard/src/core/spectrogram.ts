import { RealFft, makeWindow } from '@sensorfuse/audio';

export interface SpectrogramOptions {
  /** Samples per column (no overlap): 512 at 16 kHz = 32 ms. A power of two. */
  readonly fftSize: number;
  /** Frequency bands per column: the half spectrum split into this many equal-width bands (the strongest bin of each is shown). */
  readonly bands: number;
  /** Columns kept (a ring): 192 × 32 ms ≈ 6 s of audio. */
  readonly columns: number;
  /** Band power mapped to 0 (at or below floorDb) … 255 (at or above ceilDb), dB full scale. */
  readonly floorDb: number;
  readonly ceilDb: number;
}

export interface SpectrogramView {
  /** Bumped per new column, so the server sends the picture only when it changed. */
  readonly version: number;
  /** `columns × bands` bytes, oldest column first, band 0 (lowest frequency) first in each column. */
  readonly data: Uint8Array;
  readonly columns: number;
  readonly bands: number;
  readonly columnUs: number;
  /** Capture time of the end of the newest column, µs. */
  readonly endTimeUs: number;
  /** Upper edge of the top band (the Nyquist frequency), Hz. */
  readonly maxHz: number;
}

/**
 * A scrolling spectrogram of one audio channel: consecutive `fftSize` blocks (Hann window, no
 * overlap) → power spectrum → strongest bin per band → dB → one byte per band. A gap or overlap in
 * capture time, or a sample-rate change, starts the block anew instead of mixing two moments.
 * Memory is the ring only; one FFT object and one scratch block are reused.
 */
export class SpectrogramRing {
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly block: Float64Array;
  private readonly power: Float64Array;
  private readonly ring: Uint8Array;
  private filled = 0;
  private blockFill = 0;
  private written = 0;
  private sampleRateHz = 0;
  private nextSampleUs: number | undefined;
  private endTimeUs = 0;

  constructor(private readonly options: SpectrogramOptions) {
    this.fft = new RealFft(options.fftSize);
    this.window = Float64Array.from(makeWindow('hann', options.fftSize));
    this.block = new Float64Array(options.fftSize);
    this.power = new Float64Array(options.fftSize / 2 + 1);
    this.ring = new Uint8Array(options.columns * options.bands);
  }

  /** One chunk of one channel, samples in [-1, 1), starting at `captureTimeUs`. */
  push(samples: Float32Array, sampleRateHz: number, captureTimeUs: number): void {
    const sampleUs = 1e6 / sampleRateHz;
    const continuous = sampleRateHz === this.sampleRateHz && this.nextSampleUs !== undefined && Math.abs(captureTimeUs - this.nextSampleUs) <= 2 * sampleUs;
    if (!continuous) this.blockFill = 0;
    this.sampleRateHz = sampleRateHz;
    const { fftSize } = this.options;
    for (let i = 0; i < samples.length; i++) {
      this.block[this.blockFill++] = (samples[i] ?? 0) * (this.window[this.blockFill - 1] ?? 0);
      if (this.blockFill === fftSize) {
        this.blockFill = 0;
        this.endTimeUs = Math.round(captureTimeUs + (i + 1) * sampleUs);
        this.addColumn();
      }
    }
    this.nextSampleUs = captureTimeUs + samples.length * sampleUs;
  }

  view(): SpectrogramView | undefined {
    if (this.filled === 0) return undefined;
    const { bands, columns, fftSize } = this.options;
    // Oldest first: the ring from the slot after the newest column.
    const data = new Uint8Array(this.filled * bands);
    const start = this.filled < columns ? 0 : this.written % columns;
    for (let c = 0; c < this.filled; c++) {
      const slot = (start + c) % columns;
      data.set(this.ring.subarray(slot * bands, (slot + 1) * bands), c * bands);
    }
    return {
      version: this.written,
      data,
      columns: this.filled,
      bands,
      columnUs: Math.round((fftSize * 1e6) / this.sampleRateHz),
      endTimeUs: this.endTimeUs,
      maxHz: this.sampleRateHz / 2,
    };
  }

  private addColumn(): void {
    const { bands, columns, fftSize, floorDb, ceilDb } = this.options;
    this.fft.power(this.block, this.power);
    // Window energy normalisation: a full-scale sine reads about 0 dB in its band.
    let windowSum = 0;
    for (const w of this.window) windowSum += w;
    const norm = 4 / (windowSum * windowSum);
    const binsPerBand = (fftSize / 2) / bands;
    const slot = this.written % columns;
    for (let b = 0; b < bands; b++) {
      let peak = 0;
      const from = Math.floor(b * binsPerBand);
      const to = Math.max(from + 1, Math.floor((b + 1) * binsPerBand));
      for (let k = from; k < to; k++) peak = Math.max(peak, (this.power[k] ?? 0) * norm);
      const db = 10 * Math.log10(peak + 1e-20);
      const level = Math.round((255 * (db - floorDb)) / (ceilDb - floorDb));
      this.ring[slot * bands + b] = Math.max(0, Math.min(255, level));
    }
    this.written++;
    this.filled = Math.min(this.filled + 1, columns);
  }
}
