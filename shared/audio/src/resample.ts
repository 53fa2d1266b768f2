import { Biquad, lowPassCoefficients } from './biquad.js';

/**
 * Streaming sample-rate converter for the VAD input: a 4th-order Butterworth low-pass
 * (two cascaded RBJ biquads at 0.45 × the target rate) against aliasing when decimating, then
 * linear interpolation. Filter state and the fractional read position are carried across
 * chunks. Good enough for a speech detector, not for listening.
 */
export class StreamResampler {
  private readonly step: number;
  private readonly filters: Biquad[];
  private position = 0;
  private previous = 0;
  private scratch = new Float32Array(0);

  constructor(
    readonly fromHz: number,
    readonly toHz: number,
  ) {
    this.step = fromHz / toHz;
    this.filters =
      fromHz > toHz
        ? [new Biquad(lowPassCoefficients(fromHz, 0.45 * toHz, 0.5412)), new Biquad(lowPassCoefficients(fromHz, 0.45 * toHz, 1.3066))]
        : [];
  }

  get identity(): boolean {
    return this.fromHz === this.toHz;
  }

  /** Resample one chunk; returns a new array of the output samples produced. */
  push(input: Float32Array): Float32Array {
    if (this.identity) return input;
    if (this.scratch.length < input.length) this.scratch = new Float32Array(input.length);
    const x = this.scratch.subarray(0, input.length);
    x.set(input);
    for (const f of this.filters) f.process(x);
    // position is the read point relative to this chunk's first sample; −1 is the previous chunk's last.
    const out: number[] = [];
    let pos = this.position;
    while (pos <= input.length - 1) {
      const i0 = Math.floor(pos);
      const f = pos - i0;
      const a = i0 < 0 ? this.previous : (x[i0] as number);
      const b = x[i0 + 1] ?? a;
      out.push(a + f * (b - a));
      pos += this.step;
    }
    this.position = pos - input.length;
    if (input.length > 0) this.previous = x[input.length - 1] as number;
    return Float32Array.from(out);
  }

  reset(): void {
    for (const f of this.filters) f.reset();
    this.position = 0;
    this.previous = 0;
  }
}
