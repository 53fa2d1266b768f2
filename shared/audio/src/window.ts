export type WindowKind = 'hann' | 'sqrt-hann' | 'hamming' | 'rect';

/**
 * Periodic (DFT-even) windows of `length`, as scipy.signal.get_window and librosa build them:
 * hann[n] = 0.5 − 0.5 cos(2πn/length). A periodic Hann at 50 % overlap sums to one, so the
 * square-root Hann used for analysis and synthesis reconstructs perfectly.
 */
export function makeWindow(kind: WindowKind, length: number): Float64Array {
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / length);
    w[n] = kind === 'hann' ? hann : kind === 'sqrt-hann' ? Math.sqrt(hann) : kind === 'hamming' ? 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / length) : 1;
  }
  return w;
}

/** A window of `winLength` centred in `fftSize` zeros (librosa's convention when win_length < n_fft). */
export function padWindow(window: Float64Array, fftSize: number): Float64Array {
  if (window.length > fftSize) throw new RangeError(`window ${String(window.length)} longer than FFT ${String(fftSize)}`);
  const out = new Float64Array(fftSize);
  out.set(window, Math.floor((fftSize - window.length) / 2));
  return out;
}
