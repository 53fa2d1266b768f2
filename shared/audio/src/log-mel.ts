import { MelFilterbank, type MelNorm, type MelScale } from './mel.js';
import { Stft } from './stft.js';
import type { WindowKind } from './window.js';

export interface LogMelParams {
  readonly sampleRateHz: number;
  readonly fftSize: number;
  readonly winLength: number;
  readonly hopLength: number;
  readonly window: WindowKind;
  readonly nMels: number;
  readonly fminHz: number;
  readonly fmaxHz: number;
  readonly melScale: MelScale;
  readonly melNorm: MelNorm;
  /** Floor of the mel power before the logarithm (librosa's amin). */
  readonly aminPower: number;
}

/** 25 ms Hann window, 10 ms hop, 64 Slaney mel bands from 50 Hz to 8 kHz at 16 kHz. */
export const DEFAULT_LOG_MEL_PARAMS: Omit<LogMelParams, 'sampleRateHz' | 'fmaxHz'> = Object.freeze({
  fftSize: 512,
  winLength: 400,
  hopLength: 160,
  window: 'hann',
  nMels: 64,
  fminHz: 50,
  melScale: 'slaney',
  melNorm: 'slaney',
  aminPower: 1e-10,
});

/** Log-mel frames of one push: `frames` rows of `nMels` values (dB, 10·log10 of mel power), row-major. */
export interface LogMelFrames {
  readonly frames: number;
  readonly nMels: number;
  /** Index of the first row in the stream (row k starts at sample k·hopLength). */
  readonly firstFrame: number;
  readonly data: Float32Array;
}

/**
 * Streaming log-mel spectrogram: power STFT (|X|², no centring) → mel filterbank →
 * 10·log10(max(mel, amin)), i.e. librosa.power_to_db(librosa.feature.melspectrogram(
 * center=False, power=2), ref=1, top_db=None).
 */
export class LogMelExtractor {
  readonly stft: Stft;
  readonly filterbank: MelFilterbank;
  private readonly power: Float64Array;
  private rows = new Float32Array(0);

  constructor(readonly params: LogMelParams) {
    this.stft = new Stft(params);
    this.filterbank = new MelFilterbank({
      sampleRateHz: params.sampleRateHz,
      fftSize: params.fftSize,
      nMels: params.nMels,
      fminHz: params.fminHz,
      fmaxHz: params.fmaxHz,
      scale: params.melScale,
      norm: params.melNorm,
    });
    this.power = new Float64Array(this.stft.bins);
  }

  push(samples: Float32Array): LogMelFrames {
    const { nMels, hopLength, aminPower } = this.params;
    const firstFrame = this.stft.framesEmitted;
    const maxFrames = Math.ceil((samples.length + this.params.fftSize) / hopLength) + 1;
    if (this.rows.length < maxFrames * nMels) this.rows = new Float32Array(maxFrames * nMels);
    const rows = this.rows;
    const power = this.power;
    let n = 0;
    this.stft.push(samples, (spec) => {
      for (let k = 0; k < power.length; k++) {
        const re = spec[2 * k] as number;
        const im = spec[2 * k + 1] as number;
        power[k] = re * re + im * im;
      }
      const off = n * nMels;
      this.filterbank.apply(power, rows, off);
      for (let m = 0; m < nMels; m++) rows[off + m] = 10 * Math.log10(Math.max(rows[off + m] as number, aminPower));
      n++;
    });
    return { frames: n, nMels, firstFrame, data: rows.slice(0, n * nMels) };
  }

  reset(): void {
    this.stft.reset();
  }
}
