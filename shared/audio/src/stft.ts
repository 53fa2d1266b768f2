import { RealFft } from './fft.js';
import { Framer } from './framer.js';
import { makeWindow, padWindow, type WindowKind } from './window.js';

export interface StftParams {
  /** FFT size (power of two); each frame reads this many samples. */
  readonly fftSize: number;
  /** Window length ≤ fftSize, centred in the frame (librosa's convention). */
  readonly winLength: number;
  readonly hopLength: number;
  readonly window: WindowKind;
}

/**
 * Streaming short-time Fourier transform without centring padding: frame k is
 * x[k·hop … k·hop + fftSize) × window, so pushing a stream in any chunking yields the same frames
 * (the same as librosa.stft(center=False) or scipy.signal.stft(boundary=None, padded=False)
 * up to scipy's 1/sum(window) scaling).
 */
export class Stft {
  readonly fft: RealFft;
  readonly window: Float64Array;
  private readonly framer: Framer;
  private readonly windowed: Float64Array;
  private readonly spectrum: Float64Array;
  private frameIndex = 0;

  constructor(readonly params: StftParams) {
    this.fft = new RealFft(params.fftSize);
    this.window = padWindow(makeWindow(params.window, params.winLength), params.fftSize);
    this.framer = new Framer(params.fftSize, params.hopLength);
    this.windowed = new Float64Array(params.fftSize);
    this.spectrum = new Float64Array(2 * this.fft.bins);
  }

  get bins(): number {
    return this.fft.bins;
  }

  /** Frames completed so far since construction or reset. */
  get framesEmitted(): number {
    return this.frameIndex;
  }

  /** Push samples; `onFrame` receives each new frame's half spectrum (interleaved complex, reused buffer). */
  push(samples: Float32Array, onFrame: (spectrum: Float64Array, frameIndex: number) => void): number {
    const w = this.window;
    const x = this.windowed;
    return this.framer.push(samples, (frame) => {
      for (let i = 0; i < frame.length; i++) x[i] = (frame[i] as number) * (w[i] as number);
      this.fft.forward(x, this.spectrum);
      onFrame(this.spectrum, this.frameIndex++);
    });
  }

  reset(): void {
    this.framer.reset();
    this.frameIndex = 0;
  }
}
