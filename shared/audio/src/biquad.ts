/** Normalised biquad coefficients (a0 = 1): y = b0 x + b1 x1 + b2 x2 − a1 y1 − a2 y2. */
export interface BiquadCoefficients {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/**
 * RBJ Audio-EQ-Cookbook high-pass. With q = 1/√2 it is the bilinear-transform Butterworth
 * (pre-warped at the cut-off), the same filter as scipy.signal.butter(2, f, 'highpass', fs=fs).
 */
export function highPassCoefficients(sampleRateHz: number, cutoffHz: number, q = Math.SQRT1_2): BiquadCoefficients {
  const w0 = (2 * Math.PI * cutoffHz) / sampleRateHz;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  return {
    b0: (1 + cos) / 2 / a0,
    b1: -(1 + cos) / a0,
    b2: (1 + cos) / 2 / a0,
    a1: (-2 * cos) / a0,
    a2: (1 - alpha) / a0,
  };
}

/** RBJ Audio-EQ-Cookbook low-pass (q = 1/√2: second-order Butterworth). */
export function lowPassCoefficients(sampleRateHz: number, cutoffHz: number, q = Math.SQRT1_2): BiquadCoefficients {
  const w0 = (2 * Math.PI * cutoffHz) / sampleRateHz;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  return {
    b0: (1 - cos) / 2 / a0,
    b1: (1 - cos) / a0,
    b2: (1 - cos) / 2 / a0,
    a1: (-2 * cos) / a0,
    a2: (1 - alpha) / a0,
  };
}

/**
 * One biquad section in transposed direct form II. Its two state values are carried from one
 * call to the next, so filtering a stream chunk by chunk gives exactly the same samples as
 * filtering it at once (no transient at chunk borders). State is kept in float64.
 */
export class Biquad {
  private s1 = 0;
  private s2 = 0;

  constructor(readonly coefficients: BiquadCoefficients) {}

  /** Filter `input` into `output` (may be the same array). */
  process(input: Float32Array, output: Float32Array = input): Float32Array {
    const { b0, b1, b2, a1, a2 } = this.coefficients;
    let s1 = this.s1;
    let s2 = this.s2;
    for (let i = 0; i < input.length; i++) {
      const x = input[i] as number;
      const y = b0 * x + s1;
      s1 = b1 * x - a1 * y + s2;
      s2 = b2 * x - a2 * y;
      output[i] = y;
    }
    this.s1 = s1;
    this.s2 = s2;
    return output;
  }

  reset(): void {
    this.s1 = 0;
    this.s2 = 0;
  }
}
